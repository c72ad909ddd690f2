import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIChatModel } from '../../src/embed/openai-chat-model.js';

/** How the server answers; set per test. */
type Mode = 'ok' | 'error-500' | 'malformed' | 'bad-shape' | 'stall';

describe('OpenAIChatModel against a real HTTP server', () => {
  let server: Server;
  let baseUrl: string;
  let mode: Mode = 'ok';
  const seen: { url: string; authorization: string | undefined; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(raw) as Record<string, unknown> });
        if (mode === 'error-500') return void res.writeHead(500).end('{"error":{"message":"model crashed"}}');
        if (mode === 'malformed') return void res.writeHead(200).end('{"choices": [');
        if (mode === 'bad-shape') return void res.writeHead(200).end('{"choices": []}');
        if (mode === 'stall') return void res.writeHead(200).write('{"choices": ');
        const messages = (seen.at(-1)!.body['messages'] as { content: string }[]).map((m) => m.content);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: `echo: ${messages.join(' | ')}` } }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts the messages to /v1/chat/completions with the key, the model and JSON mode', async () => {
    mode = 'ok';
    const chat = new OpenAIChatModel({ baseUrl: `${baseUrl}/v1/`, model: 'm1', apiKey: 'k1' });
    const text = await chat.complete([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }], { json: true });
    expect(text).toBe('echo: be brief | hi');
    expect(seen.at(-1)).toMatchObject({
      url: '/v1/chat/completions',
      authorization: 'Bearer k1',
      body: { model: 'm1', temperature: 0, response_format: { type: 'json_object' }, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] },
    });
    await new OpenAIChatModel({ baseUrl, model: 'm2' }).complete([{ role: 'user', content: 'plain' }]);
    expect(seen.at(-1)!.authorization).toBeUndefined();
    expect(seen.at(-1)!.body).not.toHaveProperty('response_format');
  });

  it('turns every failure into BACKEND_UNAVAILABLE without the key', async () => {
    const chat = new OpenAIChatModel({ baseUrl, model: 'm', apiKey: 'secret-key', timeoutMs: 300 });
    const cases: [Mode, RegExp][] = [
      ['error-500', /HTTP 500/],
      ['malformed', /malformed JSON/],
      ['bad-shape', /unexpected response/],
      ['stall', /did not answer within 300 ms/],
    ];
    for (const [m, message] of cases) {
      mode = m;
      const error = await chat.complete([{ role: 'user', content: 'x' }]).catch((e: unknown) => e);
      expect(error, m).toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(message) });
      expect(JSON.stringify((error as { details?: unknown }).details)).not.toContain('secret-key');
    }
    const closed = new OpenAIChatModel({ baseUrl: 'http://127.0.0.1:9', model: 'm' });
    await expect(closed.complete([{ role: 'user', content: 'x' }])).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('unreachable') });
    await closed.close();
    await expect(closed.complete([{ role: 'user', content: 'x' }])).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('closed') });
    expect(() => new OpenAIChatModel({ baseUrl: 'ftp://x', model: 'm' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
