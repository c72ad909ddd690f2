import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { resolveSpace } from './space-resolution.js';

/** What a handler gets: the request, the reply, and the space the request addresses (if scoped). */
export interface RouteContext {
  request: FastifyRequest;
  reply: FastifyReply;
  space: string;
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

  register(app: FastifyInstance): void {
    for (const spec of this.specs) {
      for (const url of urls(spec)) {
        app.route({
          method: spec.method,
          url,
          handler: async (request, reply) => {
            const space = spec.scoped ? resolveSpace(request) : '';
            const result = await spec.handler({ request, reply, space });
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
  return spec.scoped ? [`/v1/spaces/:space${spec.path}`, `/v1${spec.path}`] : [`/v1${spec.path}`];
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function queryParameters(schema: z.ZodType): Record<string, unknown>[] {
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: s }));
}
