import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MemspaceError } from '../core/errors.js';
import type { Role } from '../core/grants.js';
import { validateSpaceName } from '../core/space-name.js';
import { requireRole } from '../engine/access.js';
import { resolveSpace } from './space-resolution.js';

/** What a handler gets: the request, the reply, and the space the request addresses (if scoped). */
export interface RouteContext {
  request: FastifyRequest;
  reply: FastifyReply;
  space: string;
  /** Checks the caller's role in a space, auditing a refusal there: for handlers that decide access themselves. */
  authorize(space: string, role: Role): Promise<void>;
}

/** One route of the API, registered and documented from the same definition. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /**
   * Path after `/v1`. A `scoped` route is registered twice: `/v1/spaces/{space}<path>` and
   * `/v1<path>` (space from header, query or body); other routes once, as given.
   */
  path: string;
  scoped: boolean;
  /** A scoped route registered only as `/v1/spaces/{space}<path>` (another spec serves `/v1<path>`). */
  pathFormOnly?: boolean;
  /**
   * The role the request needs in the space it reaches: the resolved space of a scoped route,
   * or the `{space}` path parameter of a route on a space itself. Absent on routes that check
   * access themselves (space listing and creation, keys) or need none (health).
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

/** Registers routes and describes them as an OpenAPI 3.1 document. */
export class RouteTable {
  private readonly specs: RouteSpec[] = [];

  add(...specs: RouteSpec[]): this {
    this.specs.push(...specs);
    return this;
  }

  /**
   * Registers every route. `onDenied` hears of each request refused by authorization (after
   * the refusal is decided, never changing it), for the audit trail of the space it named.
   */
  register(app: FastifyInstance, onDenied: (request: FastifyRequest, space: string, error: MemspaceError) => Promise<void> = async () => {}): void {
    for (const spec of this.specs) {
      for (const url of urls(spec)) {
        app.route({
          method: spec.method,
          url,
          handler: async (request, reply) => {
            const principal = request.principal;
            const authorize = async (space: string, role: Role): Promise<void> => {
              try {
                requireRole(principal, space, role);
              } catch (error) {
                if (error instanceof MemspaceError) {
                  await onDenied(request, space, error).catch((e: unknown) => request.log.error({ err: e }, 'could not audit a denied request'));
                }
                throw error;
              }
            };
            let space = '';
            if (spec.scoped) space = resolveSpace(request, principal.defaultSpace ?? undefined);
            else if ((request.params as { space?: unknown } | undefined)?.space !== undefined) {
              space = validateSpaceName((request.params as { space: unknown }).space);
            }
            // Authorization comes before the space is looked up, so a key cannot tell an
            // invisible space from a missing one.
            if (spec.role !== undefined) await authorize(space, spec.role);
            const result = await spec.handler({ request, reply, space, authorize });
            if (reply.sent) return reply;
            reply.status(spec.status ?? 200);
            return result === undefined ? reply.send() : reply.send(result);
          },
        });
      }
    }
  }

  /** The OpenAPI document of every route, generated from the schemas that validate requests. */
  openapi(info: { title: string; version: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.specs) {
      for (const url of urls(spec)) {
        const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
        const params = [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
        if (spec.scoped && !url.includes(':space')) {
          params.push({ name: 'X-Memory-Space', in: 'header', required: false, schema: { type: 'string' } });
        }
        const query = spec.query === undefined ? [] : queryParameters(spec.query);
        (paths[path] ??= {})[spec.method.toLowerCase()] = {
          summary: spec.summary,
          tags: [spec.tag],
          parameters: [...params, ...query],
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
    return {
      openapi: '3.1.0',
      info,
      paths,
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
}

function urls(spec: RouteSpec): string[] {
  if (!spec.scoped) return [`/v1${spec.path}`];
  return spec.pathFormOnly === true ? [`/v1/spaces/:space${spec.path}`] : [`/v1/spaces/:space${spec.path}`, `/v1${spec.path}`];
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function queryParameters(schema: z.ZodType): Record<string, unknown>[] {
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: s }));
}
