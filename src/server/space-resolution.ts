import type { FastifyRequest } from 'fastify';
import { MemspaceError } from '../core/errors.js';
import { DEFAULT_SPACE, SPACE_HEADER, spaceKey, validateSpaceName } from '../core/space-name.js';

/**
 * The space a request addresses: the path, then the `X-Memory-Space` header, then the `space`
 * query parameter, then a `space` field of the JSON body. Every one given must be a valid name
 * (an invalid one never falls back), and all given must name the same space (`SPACE_CONFLICT`
 * otherwise; names compare case-insensitively, as spaces do). With none, `fallback` (a key's
 * default space) or `default`.
 */
export function resolveSpace(request: FastifyRequest, fallback?: string): string {
  const params = request.params as Record<string, unknown> | undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const body = request.body;
  const header = request.headers[SPACE_HEADER];
  const given: [string, unknown][] = [
    ['path', params?.['space']],
    ['header', header],
    ['query', query?.['space']],
    ['body', isObject(body) ? body['space'] : undefined],
  ];
  const named: [string, string][] = [];
  for (const [where, value] of given) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      throw new MemspaceError('SPACE_CONFLICT', `the ${where} names more than one space`, { [where]: value.map(String) });
    }
    named.push([where, validateSpaceName(value)]);
  }
  const distinct = new Set(named.map(([, name]) => spaceKey(name)));
  if (distinct.size > 1) {
    throw new MemspaceError('SPACE_CONFLICT', 'the request names different spaces', Object.fromEntries(named));
  }
  return named[0]?.[1] ?? fallback ?? DEFAULT_SPACE;
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
