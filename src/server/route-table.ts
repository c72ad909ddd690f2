import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Role } from '../core/grants.js';
import { validateSpaceName } from '../core/space-name.js';
import type { AccessGuard, CallContext, Principal } from '../engine/access-guard.js';
import { notJson } from './http-errors.js';
import { resolveSpace } from './space-resolution.js';

/** What a handler gets: the request, the reply, the caller, and the space the request addresses (if scoped). */
export interface RouteContext {
  request: FastifyRequest;
  reply: FastifyReply;
  space: string;
  /** The caller as the engine's services take it: principal, request id, and what a refusal records. */
  call: CallContext & { principal: Principal };
  /** Asks the engine guard whether the caller may act on `space` with `role` (a refusal is audited there): for handlers that choose the space themselves. */
  authorize(space: string, role: Role): Promise<void>;
}

/** One route of the API, registered and documented from the same definition. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * Path after the table's prefix. A `scoped` route is registered twice: `<prefix>/spaces/{space}<path>`
   * and `<prefix><path>` (space from header, query or body); other routes once, as given.
   */
  path: string;
  scoped: boolean;
  /** A scoped route registered only as `/v1/spaces/{space}<path>` (another spec serves `/v1<path>`). */
  pathFormOnly?: boolean;
  /** Further headers (lower case) that name the space on this scoped route, read as `X-Memory-Space` is. */
  spaceHeaders?: readonly string[];
  /**
   * The role the request needs in the space it reaches: the resolved space of a scoped route,
   * or the `{space}` path parameter of a route on a space itself. The engine guard checks it
   * before the handler runs, so a caller is refused before its body is looked at (the services
   * check again, with the same guard). Absent on routes whose services decide (space listing
   * and creation, keys) or that need no space (health).
   */
  role?: Role;
  summary: string;
  tag: string;
  /** The zod schema the engine validates the body with; documents it. */
  body?: z.ZodType;
  /** The zod schema the query string is parsed with; documents it. */
  query?: z.ZodType;
  /** Status of a success. @default 200 */
  status?: number;
  /** Response content type when not JSON. */
  produces?: string;
  handler(ctx: RouteContext): Promise<unknown>;
}

/**
 * Routes registered and documented from the same definitions. A table has a path prefix
 * (`/v1` for memspace's own API; none for the compatibility APIs, whose paths are fixed by the
 * systems they imitate); {@link openApiDocument} describes several tables as one API.
 */
export class RouteTable {
  private readonly specs: RouteSpec[] = [];

  constructor(
    private readonly guard: AccessGuard,
    private readonly prefix = '/v1',
  ) {}

  add(...specs: RouteSpec[]): this {
    this.specs.push(...specs);
    return this;
  }

  /** Registers every route on `app` (or on an encapsulated scope of it). */
  register(app: FastifyInstance): void {
    for (const spec of this.specs) {
      for (const url of this.urls(spec)) {
        app.route({
          method: spec.method,
          url,
          handler: async (request, reply) => {
            const call = callOf(request);
            const authorize = (space: string, role: Role): Promise<void> => this.guard.authorize(request.principal, space, role, call);
            let space = '';
            if (spec.scoped) space = resolveSpace(request, request.principal.defaultSpace ?? undefined, spec.spaceHeaders);
            else if ((request.params as { space?: unknown } | undefined)?.space !== undefined) {
              space = validateSpaceName((request.params as { space: unknown }).space);
            }
            // Authorization comes before the space is looked up, so a key cannot tell an
            // invisible space from a missing one.
            if (spec.role !== undefined) await authorize(space, spec.role);
            // JSON Lines arrive as a stream (for imports); a JSON route would validate the stream object itself.
            if (spec.body !== undefined && request.body instanceof Readable) throw notJson();
            const result = await spec.handler({ request, reply, space, call, authorize });
            if (reply.sent) return reply;
            reply.status(spec.status ?? 200);
            return result === undefined ? reply.send() : reply.send(result);
          },
        });
      }
    }
  }

  /** The OpenAPI path items of every route, generated from the schemas that validate requests. */
  paths(): Record<string, Record<string, unknown>> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.specs) {
      for (const url of this.urls(spec)) {
        const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
        const params = [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
        if (spec.scoped && !url.includes(':space')) {
          for (const name of ['X-Memory-Space', ...(spec.spaceHeaders ?? [])]) params.push({ name, in: 'header', required: false, schema: { type: 'string' } });
        }
        const query = spec.query === undefined ? [] : queryParameters(spec.query);
        (paths[path] ??= {})[spec.method.toLowerCase()] = {
          summary: spec.summary,
          tags: [spec.tag],
          parameters: [...params, ...query],
          ...(spec.role !== undefined && { 'x-memspace-role': spec.role }),
          ...(spec.body !== undefined && {
            requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body) } } },
          }),
          responses: {
            [String(spec.status ?? 200)]: { description: 'success', ...(spec.produces && { content: { [spec.produces]: {} } }) },
            default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          },
        };
      }
    }
    return paths;
  }

  private urls(spec: RouteSpec): string[] {
    if (!spec.scoped) return [`${this.prefix}${spec.path}`];
    const pathForm = `${this.prefix}/spaces/:space${spec.path}`;
    return spec.pathFormOnly === true ? [pathForm] : [pathForm, `${this.prefix}${spec.path}`];
  }
}

/** The caller of an authenticated request, as the engine takes it. */
function callOf(request: FastifyRequest): CallContext & { principal: Principal } {
  return {
    principal: request.principal,
    actor: request.principal.keyId,
    requestId: request.id,
    via: { method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0]! },
  };
}

/** One OpenAPI 3.1 document describing every route of `tables`. */
export function openApiDocument(info: { title: string; version: string }, tables: readonly RouteTable[]): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info,
    paths: mergePaths(tables.map((t) => t.paths())),
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
            },
          },
        },
      },
    },
  };
}

function mergePaths(all: readonly Record<string, Record<string, unknown>>[]): Record<string, Record<string, unknown>> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const paths of all) for (const [path, operations] of Object.entries(paths)) Object.assign((merged[path] ??= {}), operations);
  return merged;
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function queryParameters(schema: z.ZodType): Record<string, unknown>[] {
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: s }));
}
