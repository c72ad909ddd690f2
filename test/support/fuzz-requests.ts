import fc from 'fast-check';
import type { RawRequest } from './fuzz-http.js';
import { brokenValueOf, valueOf, type Hints, type JsonSchema } from './fuzz-json-schema.js';
import { FUZZ_DIMENSION, type FuzzWorld } from './fuzz-target.js';

/** One operation of /openapi.json, as the fuzzer aims at it. */
export interface Operation {
  method: string;
  /** The OpenAPI path, `{param}` placeholders included. */
  path: string;
  tag: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema }[];
  /** True for the form of a scoped route whose space comes from the header, the query or the body. */
  spaceHeader: boolean;
  body: JsonSchema | undefined;
}

/** One generated request and the operation it was generated for. */
export interface FuzzCase {
  operation: Operation;
  request: RawRequest;
}

/** Every operation the served OpenAPI document describes. */
export function operationsOf(document: Record<string, unknown>): Operation[] {
  const paths = document['paths'] as Record<string, Record<string, OpenApiOperation>>;
  return Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      tag: op.tags?.[0] ?? '',
      pathParams: op.parameters.filter((p) => p.in === 'path').map((p) => p.name),
      query: op.parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
      spaceHeader: op.parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'x-memory-space'),
      body: op.requestBody?.content['application/json']?.schema,
    })),
  );
}

interface OpenApiOperation {
  tags?: string[];
  parameters: { name: string; in: string; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

/**
 * Requests for every operation, half of them calm: what a correct client of the attacker's own
 * spaces sends, so that requests get past validation into the stores, the search and the MCP
 * tools; the other half hostile: every part of the request may be broken or aimed at the victim
 * (path parameters, method, query string, credentials, the space header, other headers, body
 * and content type).
 */
export function fuzzCases(operations: readonly Operation[], world: FuzzWorld): fc.Arbitrary<FuzzCase> {
  const calm = new CalmPools(world, operations);
  const hostile = new HostilePools(world, operations);
  return fc.oneof(...operations.map((operation) => fc.oneof(caseFor(operation, calm), caseFor(operation, hostile))));
}

function caseFor(operation: Operation, pools: Pools): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      method: pools.method(operation.method),
      params: fc.tuple(...operation.pathParams.map((name) => pools.segment(name, operation.path))),
      reshape: pools.reshape(),
      query: queryOf(operation, pools),
      auth: pools.auth(),
      spaceHeaders: pools.spaceHeaders(operation),
      extraHeaders: pools.extraHeaders(operation),
      body: pools.body(operation),
    })
    .map(({ method, params, reshape, query, auth, spaceHeaders, extraHeaders, body }) => {
      let i = 0;
      const path = reshape(operation.path.replace(/\{[A-Za-z]+\}/g, () => params[i++] ?? ''));
      const contentType: [string, string][] = body?.contentType === undefined ? [] : [['Content-Type', body.contentType]];
      const request: RawRequest = { method, target: query === '' ? path : `${path}?${query}`, headers: [...auth, ...spaceHeaders, ...extraHeaders, ...contentType], ...(body !== undefined && { body: body.bytes }) };
      return Object.assign({ operation, request }, { [fc.toStringMethod]: () => describeRequest(request) });
    });
}

/** A query string: some of the operation's parameters, in the pools' encodings, sometimes repeated or unknown. */
function queryOf(operation: Operation, pools: Pools): fc.Arbitrary<string> {
  const declared = operation.query.map(({ name, schema }) => rarely(fc.tuple(fc.constant(name), pools.queryValues(name, schema), pools.encoding()), 3));
  return fc.tuple(fc.tuple(...declared), pools.extraQuery()).map(([given, extra]) =>
    [...given, extra]
      .filter((p): p is [string, string[], Encoding] => p !== null)
      .flatMap(([name, values, encode]) => values.map((value) => `${encode(name)}=${encode(value)}`))
      .join('&'),
  );
}

/** `value` once in `odds` cases, else null. */
function rarely<T>(value: fc.Arbitrary<T>, odds: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: odds - 1, arbitrary: fc.constant(null) }, value);
}

type Encoding = (value: string) => string;
type Headers = [string, string | Buffer][];
/** A body and its content type, or undefined for none. */
type Body = { bytes: Buffer; contentType: string | undefined } | undefined;

function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate: bytes that no UTF-8 decoder accepts stand in for it.
    return value.replace(/[\ud800-\udfff]/g, '%ED%A0%80').replace(/[^A-Za-z0-9%_.~-]/g, (c) => encodeURIComponent(c));
  }
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
const jsonBody = (value: unknown, contentType: string | undefined = 'application/json'): Body => ({ bytes: json(value), contentType });
const MCP_ACCEPT: [string, string] = ['Accept', 'application/json, text/event-stream'];

/** What the fuzzer draws each part of a request from; {@link CalmPools} and {@link HostilePools} differ in how far they stray. */
abstract class Pools {
  /** Space names for the header, the query and the body. */
  abstract readonly spaceValue: fc.Arbitrary<string>;
  protected abstract readonly memoryId: fc.Arbitrary<string>;
  private madeHints: Hints | undefined;

  constructor(
    protected readonly world: FuzzWorld,
    private readonly operations: readonly Operation[],
  ) {}

  /** Made on first use: they draw on the pools of the subclass, which exist only after its constructor. */
  protected get hints(): Hints {
    return (this.madeHints ??= this.hintsFor(this.operations));
  }

  abstract method(method: string): fc.Arbitrary<string>;
  abstract reshape(): fc.Arbitrary<(path: string) => string>;
  abstract segment(name: string, path: string): fc.Arbitrary<string>;
  abstract queryValues(name: string, schema: JsonSchema): fc.Arbitrary<string[]>;
  abstract encoding(): fc.Arbitrary<Encoding>;
  abstract extraQuery(): fc.Arbitrary<[string, string[], Encoding] | null>;
  abstract auth(): fc.Arbitrary<Headers>;
  abstract spaceHeaders(operation: Operation): fc.Arbitrary<Headers>;
  abstract extraHeaders(operation: Operation): fc.Arbitrary<Headers>;
  abstract body(operation: Operation): fc.Arbitrary<Body>;
  protected abstract filter(): fc.Arbitrary<unknown>;
  protected abstract text(): fc.Arbitrary<string>;
  protected abstract vector(): fc.Arbitrary<unknown>;
  protected abstract grants(): fc.Arbitrary<unknown>;
  protected abstract prefix(): fc.Arbitrary<string>;
  protected abstract scope(): fc.Arbitrary<string>;

  /** Values for the properties whose schema says too little (a vector, a filter), or whose useful values are names and ids. */
  private hintsFor(operations: readonly Operation[]): Hints {
    const scope = this.scope();
    const hints: Record<string, fc.Arbitrary<unknown>> = {
      space: this.spaceValue,
      spaces: fc.array(this.spaceValue, { minLength: 1, maxLength: 4 }),
      name: fc.oneof(fc.stringMatching(/^atk\.[a-z0-9]{1,8}$/), this.spaceValue),
      defaultSpace: this.spaceValue,
      prefix: this.prefix(),
      grants: this.grants(),
      to: fc.oneof(this.memoryId, this.spaceValue, fc.constantFrom(...this.world.own.keyIds)),
      from: this.memoryId,
      id: this.memoryId,
      userId: scope,
      agentId: scope,
      runId: scope,
      user_id: scope,
      agent_id: scope,
      run_id: scope,
      tags: fc.array(fc.constantFrom('plans', 'x', 'atk'), { maxLength: 3 }),
      content: this.text(),
      query: this.text(),
      embedding: this.vector(),
      filter: this.filter(),
      filters: this.filter(),
    };
    const memory = operations.find((o) => o.path === '/v1/spaces/{space}/memories' && o.method === 'POST')?.body;
    if (memory !== undefined) hints['memories'] = fc.array(valueOf(memory, hints), { minLength: 1, maxLength: 4 });
    return hints;
  }

  /** JSON-RPC messages for the MCP endpoint: tool calls with arguments from each tool's schema, tools/list, initialize. */
  protected mcpMessage(broken: boolean): fc.Arbitrary<unknown> {
    const id = fc.oneof(fc.nat(), fc.string({ maxLength: 6 }));
    const call = fc.oneof(
      ...this.world.mcpTools.map((tool) => {
        const args = valueOf(tool.inputSchema, this.hints);
        return fc.record({ name: fc.constant(tool.name), arguments: broken ? fc.oneof(args, brokenValueOf(args)) : args });
      }),
    );
    const initialize = fc.record({ protocolVersion: fc.constantFrom('2025-06-18', '2025-03-26', '1999-01-01'), capabilities: fc.constant({}), clientInfo: fc.constant({ name: 'fuzz', version: '1' }) });
    return fc.oneof(
      { weight: 8, arbitrary: fc.record({ jsonrpc: fc.constant('2.0'), id, method: fc.constant('tools/call'), params: call }) },
      fc.record({ jsonrpc: fc.constant('2.0'), id, method: fc.constant('tools/list') }),
      fc.record({ jsonrpc: fc.constant('2.0'), id, method: fc.constant('initialize'), params: initialize }),
    );
  }

  /** JSON Lines for an import: memories, relations and contexts shaped as an export writes them. */
  protected importLine(): fc.Arbitrary<string> {
    return fc
      .oneof(
        { weight: 3, arbitrary: fc.record({ type: fc.constant('memory'), id: this.memoryId, content: this.text(), embedding: this.vector(), tags: this.hints['tags']! }, { requiredKeys: ['type', 'id', 'content'] }) },
        fc.record({ type: fc.constant('relation'), id: this.memoryId, from: this.memoryId, to: this.memoryId, relationType: fc.constantFrom('leads-to', 'x') }, { requiredKeys: ['type', 'id', 'from', 'to'] }),
        fc.record({ type: fc.constant('context'), id: this.memoryId, content: this.text(), summary: this.text(), embedding: this.vector() }, { requiredKeys: ['type', 'id', 'content', 'summary'] }),
      )
      .map((line) => JSON.stringify(line));
  }
}

/** What a correct client of the attacker's own spaces sends, with its admin key. */
class CalmPools extends Pools {
  readonly spaceValue: fc.Arbitrary<string>;
  protected readonly memoryId: fc.Arbitrary<string>;

  constructor(world: FuzzWorld, operations: readonly Operation[]) {
    super(world, operations);
    const own = world.own;
    this.spaceValue = fc.oneof({ weight: 2, arbitrary: fc.constant('atk') }, fc.constantFrom(...own.spaces));
    this.memoryId = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...own.memoryIds, ...own.contextIds) }, fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,11}$/));
  }

  method(method: string) {
    return fc.constant(method);
  }
  reshape() {
    return fc.constant((path: string) => path);
  }
  segment(name: string, path: string) {
    const own = this.world.own;
    const byName: Record<string, fc.Arbitrary<string>> = {
      space: this.spaceValue,
      id: path.startsWith('/v1/keys/') ? fc.constantFrom(...own.keyIds) : this.memoryId,
      relationId: fc.constantFrom(...own.relationIds),
      shareId: fc.constantFrom(...own.shareIds),
      type: fc.constantFrom('user', 'agent', 'run'),
      name: this.scope(),
    };
    return (byName[name] ?? this.memoryId).map(safeEncode);
  }
  queryValues(name: string, schema: JsonSchema) {
    const byName: Record<string, fc.Arbitrary<string>> = {
      space: this.spaceValue,
      limit: fc.constantFrom('1', '10', '100', '1000'),
      after: fc.constantFrom('0', '1', '5'),
      filter: this.filter().map((f) => JSON.stringify(f)),
      prefix: this.prefix(),
    };
    return (byName[name] ?? valueOf(schema, this.hints).map(queryText)).map((v) => [v]);
  }
  encoding() {
    return fc.constant(safeEncode);
  }
  extraQuery() {
    return fc.constant(null);
  }
  auth() {
    return fc.constant<Headers>([['Authorization', `Bearer ${this.world.keys.admin}`]]);
  }
  spaceHeaders(operation: Operation) {
    return operation.spaceHeader ? fc.oneof(fc.constant<Headers>([]), this.spaceValue.map((v): Headers => [['X-Memory-Space', v]])) : fc.constant<Headers>([]);
  }
  extraHeaders(operation: Operation) {
    if (operation.tag !== 'mcp') return fc.constant<Headers>([]);
    return fc.constantFrom(...this.world.own.mcpSessions).map((session): Headers => [MCP_ACCEPT, ['Mcp-Session-Id', session]]);
  }
  body(operation: Operation): fc.Arbitrary<Body> {
    if (operation.tag === 'mcp') return operation.method === 'POST' ? this.mcpMessage(false).map((m) => jsonBody(m)) : fc.constant(undefined);
    if (operation.path.endsWith('/import')) return fc.array(this.importLine(), { minLength: 1, maxLength: 4 }).map((lines) => ({ bytes: Buffer.from(lines.join('\n')), contentType: 'application/x-ndjson' }));
    return operation.body === undefined ? fc.constant(undefined) : valueOf(operation.body, this.hints).map((v) => jsonBody(v));
  }
  protected filter() {
    const scalarFor = { userId: this.scope(), kind: fc.constantFrom('fact', 'note'), importance: fc.double({ min: 0, max: 1, noNaN: true }), 'metadata.note': fc.string({ maxLength: 8 }) };
    const leaf = fc.oneof(
      ...Object.entries(scalarFor).map(([field, value]) => fc.tuple(fc.constantFrom('eq', 'ne', 'gt', 'lte'), value).map(([op, v]) => ({ [field]: { [op]: v } }))),
      fc.constantFrom('plans', 'x').map((tag) => ({ tags: { contains: tag } })),
      fc.boolean().map((exists) => ({ 'metadata.note': { exists } })),
      fc.date({ min: new Date('2000-01-01Z'), max: new Date('2100-01-01Z'), noInvalidDate: true }).map((d) => ({ createdAt: { gte: d.toISOString() } })),
    );
    return filterTree(leaf);
  }
  protected text() {
    return fc.oneof(fc.constantFrom('secret plan', 'plan', 'the attacker'), fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ''));
  }
  protected vector() {
    return fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: FUZZ_DIMENSION, maxLength: FUZZ_DIMENSION });
  }
  protected grants() {
    return fc.array(fc.record({ prefix: fc.constantFrom('atk.', 'atk.x'), role: fc.constantFrom('read', 'write', 'admin') }), { minLength: 1, maxLength: 2 });
  }
  protected prefix() {
    return fc.constantFrom('atk', 'atk.');
  }
  protected scope() {
    return fc.oneof(fc.constant('atk-user'), fc.stringMatching(/^[a-z0-9]{1,8}$/));
  }
}

/** Ways to bend a path: none of them may reach another route's data. */
const RESHAPES: readonly ((path: string) => string)[] = [
  (p) => `${p}/`,
  (p) => p.replace('/v1/', '/v1//'),
  (p) => p.replace('/v1/', '/v1/spaces/victim/../../v1/'),
  (p) => p.replace('/v1/', '/v1/./'),
  (p) => p.replace('/v1/', '/V1/'),
  (p) => `${p}%00`,
  (p) => `${p}/..`,
  (p) => `${p};space=victim`,
];

/** Space names that break the naming rules, or look like another space's name. */
const INVALID_SPACES = ['', '.', '..', '_system', 'a'.repeat(65), 'v\u0456ctim', 'victim ', ' victim', '../victim', 'atk/../victim', 'victim\u0000', '%2e%2e', '\u0430\u0442\u043a', '\u{1F642}', 'atk,victim', 'vic\ud800tim'];

/** Path segments as a client might, or should not, write them: escaped dots, slashes and NULs, double escapes, bad UTF-8, raw Unicode, very long. */
const RAW_SEGMENTS = ['%2e%2e', '%2E', '.', '..', '..%2fvictim', '%2fvictim', '%76ictim', 'victim%00', '%252e%252e', 'vi%C3%A7tim', '%ff', '%', '%zz', '%ED%A0%80', 'v\u00efctim', 'atk;victim', 'atk%3Bvictim', 'atk%20', 'atk+', 'atk%2F..%2Fvictim', 'atk\\..\\victim', 'atk#victim', 'atk?space=victim', 'a'.repeat(3000), 'a'.repeat(5000), ''];

/** Ids that are no id of anything, or try to be another's. */
const GARBAGE_IDS = ['', 'x', '0', '00000000-0000-0000-0000-000000000000', 'i'.repeat(128), 'a'.repeat(2000), '..', '.', 'ATK-M1', 'atk-m1 ', '\u{1F642}', 'vic\ud800'];

/** Bodies that no schema can parse, or that break a limit before any schema looks. */
const RAW_BODIES: readonly Buffer[] = [
  '',
  'not json',
  '{',
  'null',
  '[]',
  '"a string"',
  '1e999',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '\ufeff{}',
  '{"content":"\\ud800"}',
  '{"content":"a\\udc00b","query":"\\udfff\\ud800"}',
  '{"content":"\\u0000"}',
  '{"query":"x","filter":{"metadata.a":{"eq":"\\ud800"}}}',
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
  `{"content":"${'x'.repeat(200_001)}"}`,
  `{"content":"${'x'.repeat(4_300_000)}"}`,
  `{"content":"ok","metadata":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`,
]
  .map((text) => Buffer.from(text, 'utf8'))
  .concat([Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), Buffer.from([0x00, 0x01, 0x02])]);

const CONTENT_TYPES = ['application/json; charset=utf-8', 'text/plain', 'application/x-ndjson', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'a/b/c', undefined] as const;

/** Headers no route asks for, with values a parser or a handler may choke on. */
const ODD_HEADERS: readonly Headers[] = [
  [['Last-Event-ID', '0']],
  [['Last-Event-ID', '-1']],
  [['Last-Event-ID', '99999999999999999999']],
  [['Last-Event-ID', 'x']],
  [['X-Request-Id', 'a'.repeat(2000)]],
  [['X-Request-Id', Buffer.from([0x61, 0xe9, 0xff])]],
  [['Accept', 'text/event-stream']],
  [['Content-Type', 'application/json'], ['Content-Type', 'text/plain']],
  [['X-Memory-Space', Buffer.from('victim\u0001', 'latin1')]],
];

/** Every part of a request broken, or aimed at the victim, some of the time. */
class HostilePools extends Pools {
  readonly spaceValue: fc.Arbitrary<string>;
  protected readonly memoryId: fc.Arbitrary<string>;
  private readonly contentType = fc.oneof({ weight: 6, arbitrary: fc.constant<string | undefined>('application/json') }, fc.constantFrom<string | undefined>(...CONTENT_TYPES));

  constructor(world: FuzzWorld, operations: readonly Operation[]) {
    super(world, operations);
    const { own, others } = world;
    this.spaceValue = fc.oneof(
      { weight: 4, arbitrary: fc.constant('atk') },
      { weight: 2, arbitrary: fc.constantFrom(...own.spaces) },
      { weight: 3, arbitrary: fc.constantFrom(...others.spaces) },
      { weight: 2, arbitrary: fc.constantFrom(...INVALID_SPACES) },
      fc.string({ maxLength: 10 }),
    );
    this.memoryId = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...own.memoryIds, ...own.contextIds) },
      { weight: 2, arbitrary: fc.constantFrom(...others.memoryIds, ...others.contextIds) },
      fc.constantFrom(...GARBAGE_IDS),
      fc.uuid(),
      fc.string({ minLength: 1, maxLength: 12 }),
    );
  }

  method(method: string) {
    return fc.oneof({ weight: 4, arbitrary: fc.constant(method) }, fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'));
  }
  reshape() {
    return fc.oneof({ weight: 4, arbitrary: fc.constant((path: string) => path) }, fc.constantFrom(...RESHAPES));
  }
  segment(name: string, path: string) {
    const { own, others } = this.world;
    const byName: Record<string, fc.Arbitrary<string>> = {
      space: this.spaceValue,
      id: path.startsWith('/v1/keys/') ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...own.keyIds, ...others.keyIds) }, this.memoryId) : this.memoryId,
      relationId: fc.oneof(fc.constantFrom(...own.relationIds, ...others.relationIds), this.memoryId),
      shareId: fc.oneof(fc.constantFrom(...own.shareIds, ...others.shareIds), this.memoryId),
      type: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('user', 'agent', 'run') }, fc.constantFrom('app', 'x', '')),
      name: this.scope(),
    };
    return fc.oneof({ weight: 4, arbitrary: (byName[name] ?? this.memoryId).map(safeEncode) }, fc.constantFrom(...RAW_SEGMENTS));
  }
  queryValues(name: string, schema: JsonSchema) {
    const numbers = fc.oneof(fc.constantFrom('1', '10', '1000'), fc.constantFrom('0', '-1', '1001', '1e3', '0x10', 'abc', '', '99999999999999999999999', '1.5', ' 5'));
    const byName: Record<string, fc.Arbitrary<string>> = {
      space: this.spaceValue,
      limit: numbers,
      after: numbers,
      filter: fc.oneof(this.filter().map((f) => JSON.stringify(f)), fc.constantFrom('{', '[]', 'null', '"x"')),
      cursor: fc.oneof(fc.constantFrom('', 'abc', 'eyJ4IjoxfQ', 'a'.repeat(300), 'victim'), fc.base64String({ maxLength: 40 })),
      prefix: this.prefix(),
    };
    const one = fc.oneof({ weight: 3, arbitrary: byName[name] ?? valueOf(schema, this.hints).map(queryText) }, fc.string({ maxLength: 16 }));
    return fc.oneof({ weight: 4, arbitrary: one.map((v) => [v]) }, fc.array(one, { minLength: 2, maxLength: 3 }));
  }
  encoding() {
    return fc.oneof(
      { weight: 4, arbitrary: fc.constant(safeEncode) },
      fc.constantFrom<Encoding>((v) => v.replace(/[ #&]/g, safeEncode), (v) => `${safeEncode(v)}%`, (v) => `${safeEncode(v)}%zz%ff%ED%A0%80`),
    );
  }
  extraQuery() {
    return rarely(fc.tuple(fc.constantFrom('space', 'bogus', 'limit', 'filter', ''), fc.oneof(this.spaceValue, fc.string({ maxLength: 12 })).map((v) => [v]), this.encoding()), 3);
  }
  auth() {
    const { admin, reader, revoked } = this.world.keys;
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant<Headers>([['Authorization', `Bearer ${admin}`]]) },
      { weight: 2, arbitrary: fc.constant<Headers>([['Authorization', `Bearer ${reader}`]]) },
      fc.constantFrom<Headers>(
        [['Authorization', `Token ${admin}`]],
        [['X-API-Key', admin]],
        [['Authorization', `bearer ${admin}`]],
        [['Authorization', `Bearer ${revoked}`]],
        [],
        [['Authorization', 'Bearer msk_forged']],
        [['Authorization', 'Bearer ']],
        [['Authorization', 'Basic YTpi']],
        [['Authorization', `Bearer ${'a'.repeat(10_000)}`]],
        [['Authorization', Buffer.from(`Bearer ${admin}\u00e9`, 'latin1')]],
        [['Authorization', `Bearer ${reader}`], ['Authorization', `Bearer ${admin}`]],
        [['Authorization', `Bearer ${reader}`], ['X-API-Key', admin]],
      ),
    );
  }
  spaceHeaders(operation: Operation) {
    return fc.oneof(
      { weight: operation.spaceHeader ? 2 : 4, arbitrary: fc.constant<Headers>([]) },
      { weight: 2, arbitrary: this.spaceValue.map((v): Headers => [['X-Memory-Space', v]]) },
      this.spaceValue.map((v): Headers => [['X-Namespace', v]]),
      fc.tuple(this.spaceValue, this.spaceValue).map(([a, b]): Headers => [['X-Memory-Space', a], ['X-Memory-Space', b]]),
      fc.tuple(this.spaceValue, this.spaceValue).map(([a, b]): Headers => [['X-Memory-Space', a], ['X-Namespace', b]]),
      fc.constant<Headers>([['X-Memory-Space', Buffer.from('v\u00edctim', 'latin1')]]),
    );
  }
  extraHeaders(operation: Operation) {
    const odd = fc.constantFrom(...ODD_HEADERS);
    if (operation.tag !== 'mcp') return fc.oneof({ weight: 3, arbitrary: fc.constant<Headers>([]) }, odd);
    const session = fc.oneof(fc.constantFrom(...this.world.own.mcpSessions, ...this.world.others.mcpSessions), fc.uuid(), fc.constantFrom('', 'x'));
    const accept = fc.oneof({ weight: 3, arbitrary: fc.constant(MCP_ACCEPT[1]) }, fc.constantFrom('application/json', 'text/event-stream', '*/*'));
    const mcp = fc.tuple(fc.option(session, { freq: 4 }), accept).map(([s, a]): Headers => [...(s === null ? [] : [['Mcp-Session-Id', s] as [string, string]]), ['Accept', a]]);
    return fc.oneof({ weight: 4, arbitrary: mcp }, odd);
  }
  body(operation: Operation): fc.Arbitrary<Body> {
    const raw = fc.tuple(fc.constantFrom(...RAW_BODIES), this.contentType).map(([bytes, contentType]): Body => ({ bytes, contentType }));
    const anyJson = fc.tuple(fc.jsonValue({ maxDepth: 3 }), this.contentType).map(([value, type]) => jsonBody(value, type));
    if (operation.tag === 'mcp') {
      const message = this.mcpMessage(true);
      const messages = fc.oneof({ weight: 4, arbitrary: message }, fc.array(message, { minLength: 1, maxLength: 3 }));
      return fc.oneof({ weight: 6, arbitrary: fc.tuple(messages, this.contentType).map(([m, type]) => jsonBody(m, type)) }, anyJson, raw, fc.constant(undefined));
    }
    if (operation.path.endsWith('/import')) {
      const line = fc.oneof({ weight: 3, arbitrary: this.importLine() }, fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), fc.constantFrom('', '{', 'not json', '{"type":"memory","id":"m","content":"\\ud800"}', '{"type":"space","name":"victim"}'));
      const type = fc.oneof({ weight: 4, arbitrary: fc.constant<string | undefined>('application/x-ndjson') }, this.contentType);
      return fc.oneof({ weight: 6, arbitrary: fc.tuple(fc.array(line, { maxLength: 5 }), type).map(([lines, contentType]): Body => ({ bytes: Buffer.from(lines.join('\n')), contentType })) }, anyJson, raw, fc.constant(undefined));
    }
    if (operation.body === undefined) return fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, anyJson, raw);
    const valid = fc.tuple(valueOf(operation.body, this.hints), rarely(this.spaceValue, 4)).map(([value, space]) =>
      // A `space` field may choose the space of a scoped route, or conflict with the path or the header.
      space === null || typeof value !== 'object' || value === null || Array.isArray(value) ? value : { ...value, space },
    );
    return fc.oneof(
      { weight: 3, arbitrary: fc.tuple(valid, this.contentType).map(([v, type]) => jsonBody(v, type)) },
      { weight: 3, arbitrary: fc.tuple(brokenValueOf(valid), this.contentType).map(([v, type]) => jsonBody(v, type)) },
      { weight: 2, arbitrary: raw },
      anyJson,
      fc.constant(undefined),
    );
  }
  protected filter() {
    const field = fc.constantFrom('metadata.note', 'metadata.a.b', 'tags', 'userId', 'agentId', 'runId', 'kind', 'createdAt', 'updatedAt', 'importance', 'id', 'content', 'bogus', 'metadata', 'user_id');
    const operator = fc.constantFrom('eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'contains', 'exists', 'like', 'bogus');
    const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.constantFrom('vic-user', 'atk-user', 'plans'));
    const leaf = fc.tuple(field, operator, fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }))).map(([f, op, value]) => ({ [f]: { [op]: value } }));
    return filterTree(leaf);
  }
  protected text() {
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('secret plan', 'plan', 'the attacker', 'x'.repeat(1000)) },
      { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
      fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom('a', '\ud800', '\udfff', '\u0000', '\u{1F642}') }),
    );
  }
  protected vector() {
    return fc.oneof(
      { weight: 4, arbitrary: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: FUZZ_DIMENSION, maxLength: FUZZ_DIMENSION }) },
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 512, maxLength: 512 }),
      fc.array(fc.double(), { maxLength: 12 }),
      fc.constantFrom([], 'x', [1, 'a'], null),
    );
  }
  protected grants() {
    const role = fc.constantFrom('read', 'write', 'admin', 'owner');
    return fc.array(fc.oneof(fc.record({ space: this.spaceValue, role }), fc.record({ prefix: this.prefix(), role })), { minLength: 1, maxLength: 3 });
  }
  protected prefix() {
    return fc.constantFrom('', 'atk', 'atk.', 'a', 'vic', 'victim', 'ATK', 'default', '%', '_');
  }
  protected scope() {
    return fc.oneof(fc.constantFrom('atk-user', 'vic-user'), fc.string({ minLength: 1, maxLength: 8 }));
  }
}

function queryText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** A request as a few readable lines (long bodies and values cut). */
export function describeRequest(request: RawRequest): string {
  const cut = (s: string): string => (s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s);
  const headers = request.headers.map(([n, v]) => `${n}: ${cut(typeof v === 'string' ? v : `<bytes ${v.toString('hex')}>`)}`);
  return [`${request.method} ${cut(request.target)}`, ...headers, request.body === undefined ? '(no body)' : cut(request.body.toString('utf8'))].join('\n');
}

/** Filters of `leaf` conditions joined by `and`, `or` and `not`, a few levels deep. */
function filterTree(leaf: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('node'), { maxLength: 3 }).map((all) => ({ and: all })),
      fc.array(tie('node'), { maxLength: 3 }).map((all) => ({ or: all })),
      tie('node').map((one) => ({ not: one })),
    ),
  })).node;
}
