import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpReranker, rerankEndpoint } from '../../src/embed/http-reranker.js';
import { startFakeReranker, type FakeReranker, type RerankAnswer, type SeenRerank } from '../support/fake-reranker.js';

// The rerank client against a real HTTP stand-in on 127.0.0.1; each test sets how it answers.
let server: FakeReranker;
let answer: (request: SeenRerank) => RerankAnswer = () => [];

beforeAll(async () => {
  server = await startFakeReranker((r) => answer(r));
});
afterAll(async () => {
  await server.close();
});

describe('HttpReranker against a real HTTP server', () => {
  it('posts {model, query, documents, top_n} to <base>/rerank with the key and returns a score per document in document order', async () => {
    // Results come back best first; the client must place each by its index, not its position.
    answer = () => [0.1, 0.9, 0.5];
    const reranker = new HttpReranker({ baseUrl: server.url, model: 'rerank-m', apiKey: 'k1' });
    expect(await reranker.rerank('who is on call?', ['tea', 'Bob is on call', 'deploys'])).toEqual([0.1, 0.9, 0.5]);
    expect(server.requests.at(-1)).toEqual({
      path: '/v1/rerank',
      authorization: 'Bearer k1',
      model: 'rerank-m',
      query: 'who is on call?',
      documents: ['tea', 'Bob is on call', 'deploys'],
      topN: 3,
    });
    answer = () => [0.3];
    await new HttpReranker({ baseUrl: `${server.url}/rerank/`, model: 'm' }).rerank('q', ['a']);
    expect(server.requests.at(-1)).toMatchObject({ path: '/v1/rerank', authorization: undefined });
  });

  it('sends nothing for no documents', async () => {
    const before = server.requests.length;
    expect(await new HttpReranker({ baseUrl: server.url, model: 'm' }).rerank('q', [])).toEqual([]);
    expect(server.requests.length).toBe(before);
  });

  it('turns every failure and every unusable answer into BACKEND_UNAVAILABLE, without the key', async () => {
    const reranker = new HttpReranker({ baseUrl: server.url, model: 'm', apiKey: 'secret-key', timeoutMs: 300 });
    const cases: [string, RerankAnswer, RegExp][] = [
      ['HTTP 500', 500, /answered HTTP 500/],
      ['stall', 'stall', /did not answer within 300 ms/],
      ['not JSON', { raw: '<html>oops</html>' }, /malformed JSON/],
      ['no results', { raw: '{"data":[]}' }, /unexpected response/],
      ['a score as text', { raw: '{"results":[{"index":0,"relevance_score":"high"},{"index":1,"relevance_score":0.1}]}' }, /unexpected response/],
      ['a negative index', { raw: '{"results":[{"index":-1,"relevance_score":0.5},{"index":1,"relevance_score":0.1}]}' }, /unexpected response/],
      ['an index out of range', { raw: '{"results":[{"index":2,"relevance_score":0.5},{"index":1,"relevance_score":0.1}]}' }, /index 2 is out of range for 2 documents/],
      ['a repeated index', { raw: '{"results":[{"index":1,"relevance_score":0.5},{"index":1,"relevance_score":0.1}]}' }, /index 1 is repeated/],
      ['a missing document', [0.5], /1 scores for 2 documents/],
      ['an infinite score', { raw: '{"results":[{"index":0,"relevance_score":1e999},{"index":1,"relevance_score":0.1}]}' }, /unexpected response/],
    ];
    for (const [name, given, message] of cases) {
      answer = () => given;
      const error = await reranker.rerank('q', ['a', 'b']).catch((e: unknown) => e);
      expect(error, name).toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(message) });
      expect(JSON.stringify((error as { details?: unknown }).details), name).not.toContain('secret-key');
    }
  });

  it('refuses calls once closed, reports an unreachable server, and refuses a base URL that is not http(s)', async () => {
    const unreachable = new HttpReranker({ baseUrl: 'http://127.0.0.1:9', model: 'm' });
    await expect(unreachable.rerank('q', ['a'])).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('unreachable') });
    const closed = new HttpReranker({ baseUrl: server.url, model: 'm' });
    await closed.close();
    await expect(closed.rerank('q', ['a'])).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('closed') });
    expect(() => new HttpReranker({ baseUrl: 'ftp://x', model: 'm' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => new HttpReranker({ baseUrl: server.url, model: '' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('appends /rerank to the base URL as given, whatever its version segment', () => {
    expect(rerankEndpoint('https://api.jina.ai/v1')).toBe('https://api.jina.ai/v1/rerank');
    expect(rerankEndpoint('https://api.cohere.com/v2/')).toBe('https://api.cohere.com/v2/rerank');
    expect(rerankEndpoint('http://127.0.0.1:7997')).toBe('http://127.0.0.1:7997/rerank');
    expect(rerankEndpoint('http://gpu:8000/v1/rerank?x=1')).toBe('http://gpu:8000/v1/rerank');
  });
});
