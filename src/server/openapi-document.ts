import { z } from 'zod';
import { ERROR_CODES, HTTP_STATUS, type ErrorCode } from '../core/errors.js';
import * as responseSchemas from '../core/response-schemas.js';
import type { RouteSpec } from './route-table.js';

/** What {@link openApiDocument} describes: route tables, each able to list its path items. */
export interface DocumentedTable {
  paths(): Record<string, Record<string, unknown>>;
}

/**
 * Paths answered without a key (the auth hook's public routes): their operations say
 * `security: []`. test/server/openapi.test.ts checks this list against the server itself.
 */
export const PUBLIC_PATHS: readonly string[] = ['/v1/health', '/openapi.json', '/docs'];

/** How a route without the space in its path chooses it. */
const SPACE_CHOICE = "the space, when the path names none (else the `space` query parameter or body field, else the key's default space, else `default`); headers that differ are SPACE_CONFLICT";

/** Largest integer JSON Schema carries for zod's `int()`: a bound nobody chose, left out of the document. */
const SAFE = Number.MAX_SAFE_INTEGER;

/** Responses of each error status, named as OpenAPI generators name them. */
const ERROR_RESPONSES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Gone',
  413: 'PayloadTooLarge',
  422: 'UnprocessableContent',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** Tags in the order a reader meets them, with what each groups. */
const TAGS: readonly { name: string; description: string }[] = [
  { name: 'operations', description: 'Liveness, readiness, metrics, space health, archive, restore, retention sweeps' },
  { name: 'spaces', description: 'Spaces: isolated tenants, each with its own storage, settings and audit trail' },
  { name: 'projects', description: 'Projects: named groups of spaces with shared defaults and quotas' },
  { name: 'memories', description: 'Memories of one space: add, list, get, change, delete, history' },
  { name: 'relations', description: 'Typed, directed edges between memories of one space' },
  { name: 'search', description: 'Search by meaning, keywords or both, in one space or across several' },
  { name: 'routing', description: 'Which of the visible spaces fits a text best' },
  { name: 'contexts', description: 'Large contexts kept compressed, with a summary' },
  { name: 'transfer', description: 'Export and import of a whole space as JSON Lines' },
  { name: 'events', description: 'The change stream of a space (Server-Sent Events)' },
  { name: 'audit', description: 'The hash-chained audit trail of a space' },
  { name: 'sharing', description: "Read access to a space for another space's readers or a key" },
  { name: 'keys', description: 'API keys and their grants' },
  { name: 'consolidation', description: 'Merging repeats and superseding old statements of a fact' },
  { name: 'feedback', description: 'Feedback on results that shapes ranking; reranking of documents' },
  { name: 'federations', description: 'Differentially private insights across opted-in spaces' },
  { name: 'jobs', description: 'Long admin jobs (split, merge) and their progress' },
  { name: 'mcp', description: 'Model Context Protocol over Streamable HTTP (JSON-RPC 2.0)' },
  { name: 'mem0', description: "mem0-compatible REST API (the `mem0ai` MemoryClient's routes and shapes)" },
  { name: 'meta', description: 'This document and its HTML page' },
];

/** Response schemas by the zod object, named after their export (`MemoryResponse` is `Memory`): documented once, referenced. */
const NAMED: ReadonlyMap<z.ZodType, string> = new Map(
  Object.entries(responseSchemas).flatMap(([name, schema]) => (name === 'AnyResponse' ? [] : [[schema as z.ZodType, name.replace(/Response$/, '')] as const])),
);

/** A zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1), without zod's artefacts. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return withoutSafeBounds(rest) as Record<string, unknown>;
}

/** A success body: a `$ref` to the named schema when it is one of core's, else inline. */
function responseSchema(schema: z.ZodType): Record<string, unknown> {
  const name = NAMED.get(schema);
  return name === undefined ? jsonSchema(schema, 'output') : { $ref: `#/components/schemas/${name}` };
}

/** `int()` gives every integer ±2^53−1 bounds; an integer without a chosen bound is shown without any. */
function withoutSafeBounds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSafeBounds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if ((k === 'minimum' && v === -SAFE) || (k === 'maximum' && v === SAFE)) continue;
    out[k] = withoutSafeBounds(v);
  }
  return out;
}

/** The parameters of a query-string schema. */
export function queryParameters(schema: z.ZodType): Record<string, unknown>[] {
  const json = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: 'query', required: json.required?.includes(name) ?? false, schema: rest, ...(typeof description === 'string' && { description }) };
  });
}

/**
 * The error codes an operation can answer: those every request can meet (a malformed request,
 * a backend down, a bug, a key unknown or over its rate), a refusal unless public, a space's
 * (invalid, unseen, archived) when it addresses one, a resource's when its path names one, a
 * conflict when it creates, and those the spec adds.
 */
function errorCodesOf(spec: RouteSpec, url: string, isPublic: boolean): Set<ErrorCode> {
  const codes = new Set<ErrorCode>(['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'INTERNAL', 'BACKEND_UNAVAILABLE']);
  // A public route still checks a key presented to it.
  for (const c of ['UNAUTHENTICATED', 'QUOTA_EXCEEDED'] as const) codes.add(c);
  if (!isPublic) codes.add('FORBIDDEN');
  const names = [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]);
  if (spec.scoped || names.includes('space') || spec.role !== undefined) for (const c of ['INVALID_SPACE', 'SPACE_NOT_FOUND', 'SPACE_ARCHIVED'] as const) codes.add(c);
  if (spec.scoped && !names.includes('space')) codes.add('SPACE_CONFLICT');
  if (names.some((n) => n !== 'space')) codes.add('NOT_FOUND');
  if (spec.method === 'POST' && spec.status === 201) codes.add('CONFLICT');
  for (const c of spec.errors ?? []) codes.add(c);
  return codes;
}

/** The error responses of an operation: one per status, referencing the status's component. */
function errorResponses(codes: ReadonlySet<ErrorCode>): Record<string, unknown> {
  const statuses = [...new Set([...codes].map((c) => HTTP_STATUS[c]))].sort((a, b) => a - b);
  return Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/${ERROR_RESPONSES[s]}` }]));
}

/** The OpenAPI operation of one route at one of its URLs (Fastify's `:name` form). */
export function operationOf(spec: RouteSpec, url: string): Record<string, unknown> {
  const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
  const isPublic = PUBLIC_PATHS.includes(path);
  const params: Record<string, unknown>[] = [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', minLength: 1 } }));
  if (spec.scoped && !url.includes(':space')) {
    params.push({ name: 'X-Memory-Space', in: 'header', required: false, schema: { type: 'string' }, description: SPACE_CHOICE });
    for (const name of ['X-Namespace', ...(spec.spaceHeaders ?? [])]) params.push({ name, in: 'header', required: false, schema: { type: 'string' }, description: 'another name of X-Memory-Space' });
  }
  const status = String(spec.status ?? 200);
  const success: Record<string, unknown> = { description: spec.summary };
  if (status !== '204') {
    const media = spec.produces ?? 'application/json';
    const schema = spec.response === undefined ? {} : responseSchema(spec.response);
    // A stream's schema is one of its items (an export line, an event's `data:`); OpenAPI 3.1 has no item schema, so an extension carries it.
    success['content'] = { [media]: spec.produces === undefined ? { schema } : { schema: { type: 'string' }, ...(spec.response !== undefined && { 'x-memspace-item-schema': schema }) } };
  }
  const { responses: extraResponses, ...extra } = spec.openapi ?? {};
  return {
    summary: spec.summary,
    operationId: operationId(spec.method, path),
    tags: [spec.tag],
    parameters: [...params, ...(spec.query === undefined ? [] : queryParameters(spec.query))],
    ...(isPublic && { security: [] }),
    ...(spec.role !== undefined && { 'x-memspace-role': spec.role }),
    // A body whose schema takes `{}` may be left out; the route table refuses a missing one otherwise.
    ...(spec.body !== undefined && { requestBody: { required: !spec.body.safeParse({}).success, content: { 'application/json': { schema: jsonSchema(spec.body) } } } }),
    ...(spec.consumes !== undefined && { requestBody: { required: true, content: { [spec.consumes]: { schema: { type: 'string' } } } } }),
    ...extra,
    responses: { [status]: success, ...errorResponses(errorCodesOf(spec, url, isPublic)), ...(extraResponses as Record<string, unknown> | undefined) },
  };
}

/** A unique, stable operation id from the method and path: `get_v1_spaces_space_memories`. */
function operationId(method: string, path: string): string {
  const words = path.replace(/[{}]/g, '').split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  return [method.toLowerCase(), ...words].join('_') + (path.endsWith('/') && path !== '/' ? '_' : '');
}

/** Routes the server answers outside any route table. */
function fixedPaths(): Record<string, Record<string, unknown>> {
  const base: ErrorCode[] = ['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'INTERNAL', 'BACKEND_UNAVAILABLE', 'UNAUTHENTICATED', 'QUOTA_EXCEEDED'];
  const get = (id: string, tag: string, summary: string, media: string, keyed: boolean) => ({
    get: {
      summary,
      operationId: id,
      tags: [tag],
      parameters: [],
      ...(!keyed && { security: [] }),
      responses: {
        '200': { description: summary, content: { [media]: { schema: media === 'application/json' ? { type: 'object' } : { type: 'string' } } } },
        ...errorResponses(new Set<ErrorCode>(keyed ? [...base, 'FORBIDDEN'] : base)),
      },
    },
  });
  return {
    '/metrics': get('get_metrics', 'operations', 'Prometheus metrics (text exposition format); keys whose grants cover every space only', 'text/plain', true),
    '/openapi.json': get('get_openapi_json', 'meta', 'This OpenAPI 3.1 document', 'application/json', false),
    '/docs': get('get_docs', 'meta', 'The API as a self-contained HTML page', 'text/html', false),
    '/console': get('get_console', 'meta', 'The web console (docs/console.md): sign in with a key, which it sends with each call to this API', 'text/html', false),
  };
}

/** The shared parts: the error body, each error status's response, the named response schemas, the key schemes. */
function components(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      description: 'Every failure, on every interface. mem0 routes add `detail` (the message); GET /v1/health at 503 carries its health figures too.',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: [...ERROR_CODES] },
            message: { type: 'string' },
            details: { type: 'object', description: 'e.g. `issues` of a VALIDATION_FAILED, `requestId` of a 5xx, `retryAfterMs` of a rate limit' },
          },
        },
      },
    },
  };
  schemas['JsonRpcMessage'] = {
    type: 'object',
    description: 'A JSON-RPC 2.0 request, notification or response (MCP); the MCP specification defines its methods and results',
    required: ['jsonrpc'],
    properties: {
      jsonrpc: { const: '2.0' },
      id: { type: ['string', 'integer', 'null'] },
      method: { type: 'string' },
      params: { type: 'object' },
      result: {},
      error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'integer' }, message: { type: 'string' }, data: {} } },
    },
  };
  for (const [schema, name] of NAMED) schemas[name] = jsonSchema(schema, 'output');
  const responses: Record<string, unknown> = {};
  for (const [status, name] of Object.entries(ERROR_RESPONSES)) {
    const codes = ERROR_CODES.filter((c) => HTTP_STATUS[c] === Number(status));
    responses[name] = {
      description: codes.join(', '),
      content: {
        'application/json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: codes } } } } }] },
        },
      },
    };
  }
  return {
    schemas,
    responses,
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'An API key (`msk_…`): `Authorization: Bearer <key>` (`Authorization: Token <key>` is accepted too)' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key in a header of its own' },
    },
  };
}

/** One OpenAPI 3.1 document describing every route of `tables`, and the routes the server answers outside them. */
export function openApiDocument(info: { title: string; version: string }, tables: readonly DocumentedTable[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const table of tables) for (const [path, operations] of Object.entries(table.paths())) Object.assign((paths[path] ??= {}), operations);
  Object.assign(paths, fixedPaths());
  const used = new Set(Object.values(paths).flatMap((ops) => Object.values(ops).flatMap((op) => (op as { tags?: string[] }).tags ?? [])));
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'memspace: a multi-tenant memory server. Each space is an isolated tenant; a route under `/v1/spaces/{space}/…` also exists without the space segment, ' +
        'the space then coming from the `X-Memory-Space` header, the `space` query parameter or a `space` field of the body. ' +
        'Every error is `{"error":{"code","message","details"?}}` with a stable code. Authenticate with an API key.',
    },
    servers: [{ url: '/', description: 'this server' }],
    security: [{ bearer: [] }, { apiKey: [] }],
    tags: [...TAGS.filter((t) => used.has(t.name)), ...[...used].filter((t) => !TAGS.some((k) => k.name === t)).map((name) => ({ name }))],
    paths,
    components: components(),
  };
}
