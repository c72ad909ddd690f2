import type { FastifyRequest } from 'fastify';
import { pickSpace, spaceHeaderEntries } from '../core/space-name.js';

/**
 * The space a request addresses: the path, then the `X-Memory-Space` header and its alias
 * `X-Namespace` (and the route's further `aliases`), then the `space` query parameter, then a
 * `space` field of the JSON body, with the rules of `pickSpace`: all given must agree.
 */
export function resolveSpace(request: FastifyRequest, fallback?: string, aliases: readonly string[] = []): string {
  const params = request.params as Record<string, unknown> | undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const body = request.body;
  return pickSpace(
    [
      ['path', params?.['space']],
      ...spaceHeaderEntries((name) => request.headers[name]),
      ...aliases.map((name): [string, unknown] => [`header ${name}`, request.headers[name]]),
      ['query', query?.['space']],
      ['body', isObject(body) ? body['space'] : undefined],
    ],
    fallback,
  );
}

/** The body without its `space` field, which only chose the space and is no field of the resource. */
export function withoutSpace(body: unknown): unknown {
  if (!isObject(body) || !('space' in body)) return body;
  const { space: _space, ...rest } = body;
  return rest;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
