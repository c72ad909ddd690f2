import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Role } from '../core/grants.js';
import { validateSpaceName } from '../core/space-name.js';
import type { AccessGuard, CallContext, Principal } from '../engine/access-guard.js';
import type { ErrorCode } from '../core/errors.js';
import { bodyRequired, notJson } from './http-errors.js';
import { operationOf } from './openapi-document.js';
import { resolveSpace } from './space-resolution.js';

export { openApiDocument } from './openapi-document.js';

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
  /**
   * The zod schema of a success's body (of one item of a stream when `produces` is set); documents
   * it. The SDK parses answers with the same schemas (core/response-schemas.ts).
   */
  response?: z.ZodType;
  /** Request content type when the body is not JSON (an import's JSON Lines); documents it. */
  consumes?: string;
  /** Error codes this route answers beyond those its kind of route does (openapi-document.ts `errorCodesOf`); documents them. */
  errors?: readonly ErrorCode[];
  /** Further OpenAPI operation fields (a description, a request body the table does not validate, more responses), merged into the generated operation. */
  openapi?: Record<string, unknown>;
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
      // A body is needed when its schema refuses `{}`; then none (or an empty JSON one) is refused plainly.
      const needsBody = spec.body !== undefined && !spec.body.safeParse({}).success;
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
            if (needsBody && request.body === undefined) throw bodyRequired();
            const result = await spec.handler({ request, reply, space, call, authorize });
            if (reply.sent) return reply;
            reply.status(spec.status ?? 200);
            return result === undefined ? reply.send() : reply.send(result);
          },
        });
      }
    }
  }

  /** The OpenAPI path items of every route, generated from the schemas that validate requests and those the SDK parses answers with. */
  paths(): Record<string, Record<string, unknown>> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.specs) {
      for (const url of this.urls(spec)) (paths[url.replace(/:([A-Za-z]+)/g, '{$1}')] ??= {})[spec.method.toLowerCase()] = operationOf(spec, url);
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
