import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { MemspaceEngine } from '../../src/memspace.js';
import { buildApp } from '../../src/server/app.js';

/** The HTTP API listening on a free port of 127.0.0.1. */
export interface ListeningApp {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>/mcp` */
  mcpUrl: string;
  close(): Promise<void>;
}

/** Builds the app over `ms` and listens on 127.0.0.1 with a free port. */
export async function listenApp(ms: MemspaceEngine): Promise<ListeningApp> {
  const app = await buildApp({ memspace: ms });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { app, mcpUrl: `http://127.0.0.1:${port}/mcp`, close: () => app.close() };
}

/** An MCP client over Streamable HTTP with `key`, in `space` when given (the X-Memory-Space header). */
export async function connectHttp(mcpUrl: string, key: string, space?: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...(space !== undefined && { 'x-memory-space': space }) };
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers } });
  const client = new Client({ name: 'memspace-test', version: '1.0.0' });
  await client.connect(transport);
  // Listing caches the tools' output schemas, so the client checks every structured result against them.
  await client.listTools();
  return { client, transport };
}

/** Calls a tool that must succeed; returns its structured content. */
export async function ok<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError ?? false, `${name}: ${JSON.stringify(result.content)}`).toBe(false);
  return result.structuredContent as T;
}

/** Calls a tool that must fail; returns the memspace error body its text carries. */
export async function fails(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, `${name} should fail: ${JSON.stringify(result.content)}`).toBe(true);
  const first = result.content[0];
  expect(first?.type).toBe('text');
  const body = JSON.parse((first as { text: string }).text) as { error: { code: string; message: string; details?: Record<string, unknown> } };
  return body.error;
}

/** A JSON-RPC request posted to `/mcp` by hand, for what the SDK client would not send. */
export async function postMcp(
  mcpUrl: string,
  headers: Record<string, string>,
  message: Record<string, unknown>,
): Promise<{ status: number; body: unknown; sessionId: string | null }> {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
  });
  const text = await response.text();
  // A JSON-RPC answer comes as one SSE event; errors of memspace itself as plain JSON.
  const data = /^data: (.*)$/m.exec(text)?.[1] ?? text;
  return { status: response.status, body: data === '' ? null : (JSON.parse(data) as unknown), sessionId: response.headers.get('mcp-session-id') };
}

/** An initialize request's body. */
export const INITIALIZE = {
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
} as const;
