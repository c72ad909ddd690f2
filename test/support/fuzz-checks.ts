import { ERROR_CODES, HTTP_STATUS, type ErrorCode } from '../../src/core/errors.js';
import type { RawResponse } from './fuzz-http.js';
import type { FuzzCase } from './fuzz-requests.js';
import { CANARY } from './fuzz-target.js';

/**
 * What is wrong with the answer to one fuzzed request (nothing, when the list is empty):
 * a status of 500 or more (or none a client can act on), an error body not exactly
 * `{error:{code,message,details?}}` with a listed code and the status that code has, or
 * another space's data in the answer.
 */
export function problemsOf(kase: FuzzCase, response: RawResponse): string[] {
  const problems: string[] = [];
  if (response.raw.includes(CANARY) || response.body.includes(CANARY)) problems.push("the answer holds the victim's canary");
  if (response.status >= 500) problems.push(`status ${response.status}`);
  else if (response.status >= 400) problems.push(...errorShapeProblems(kase, response));
  else if (response.status < 200 || response.status >= 300) problems.push(`status ${response.status}: neither a success nor an error`);
  return problems;
}

function errorShapeProblems(kase: FuzzCase, response: RawResponse): string[] {
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch {
    return [`a ${response.status} whose body is not JSON: ${JSON.stringify(response.body.toString('utf8').slice(0, 200))}`];
  }
  // MCP's transport answers protocol errors as JSON-RPC errors, the shape MCP clients read.
  if (kase.operation.tag === 'mcp' && isJsonRpcError(body)) return [];
  if (!isObject(body)) return [`an error body that is no object: ${preview(body)}`];
  // mem0's clients read DRF's `detail`; the mem0 routes, whose paths all end with a slash, add
  // it, equal to the message (docs/mem0.md). A bent path may reach them from another operation.
  const allowed = kase.request.target.split('?')[0]!.endsWith('/') ? ['error', 'detail'] : ['error'];
  const problems: string[] = [];
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0 || !('error' in body)) problems.push(`error body keys ${JSON.stringify(Object.keys(body))}: ${preview(body)}`);
  const error = body['error'];
  if (!isObject(error)) return [...problems, `"error" is no object: ${preview(body)}`];
  const { code, message, details, ...rest } = error;
  if (Object.keys(rest).length > 0) problems.push(`error has keys beyond code, message, details: ${preview(body)}`);
  if (typeof message !== 'string' || message === '') problems.push(`error message ${preview(message)}`);
  if (details !== undefined && !isObject(details)) problems.push(`error details ${preview(details)}`);
  if ('detail' in body && body['detail'] !== message) problems.push(`detail differs from message: ${preview(body)}`);
  if (!(ERROR_CODES as readonly unknown[]).includes(code)) problems.push(`unlisted error code ${preview(code)}`);
  else if (HTTP_STATUS[code as ErrorCode] !== response.status) problems.push(`${String(code)} answered with ${response.status}, not ${HTTP_STATUS[code as ErrorCode]}`);
  return problems;
}

function isJsonRpcError(body: unknown): boolean {
  if (!isObject(body) || body['jsonrpc'] !== '2.0' || !isObject(body['error'])) return false;
  return typeof body['error']['code'] === 'number' && typeof body['error']['message'] === 'string';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
