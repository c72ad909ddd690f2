import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;

/** One answer of the server, as `app.inject` gives it. */
export interface Answer {
  method: string;
  /** The URL asked, query string included. */
  url: string;
  status: number;
  contentType: string | undefined;
  body: string;
}

/** The routes Fastify registered, from `app.printRoutes({ commonPrefix: false })`: `METHOD /path/:param` (HEAD left out). */
export function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)(?:├── |└── )(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (m === null) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '' && x !== 'HEAD')) routes.push(`${method} ${stack.join('')}`);
  }
  return routes;
}

/** Every operation of an OpenAPI document as `METHOD /path/{param}`. */
export function documentedOperations(doc: Json): string[] {
  return Object.entries(doc['paths'] as Record<string, Json>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
}

/**
 * Checks answers against the document: the status must be documented for the operation, the
 * content type must be one it lists, and the body must match the schema (each line of a JSON
 * Lines answer, each `data:` of an event stream, against the item schema).
 */
export class Conformance {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  /** Operations answered at least once, with their statuses. */
  readonly seen = new Map<string, Set<number>>();

  constructor(private readonly doc: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats.default(this.ajv);
  }

  /** Problems of one answer; none when it conforms. */
  problems(answer: Answer): string[] {
    const where = `${answer.method} ${answer.url} → ${answer.status}`;
    const template = this.operationPath(answer.method, answer.url.split('?')[0]!);
    if (template === undefined) return [`${where}: no documented operation`];
    const op = (this.doc['paths'] as Record<string, Record<string, Json>>)[template]![answer.method.toLowerCase()]!;
    const key = `${answer.method} ${template}`;
    if (!this.seen.has(key)) this.seen.set(key, new Set());
    this.seen.get(key)!.add(answer.status);
    let response = (op['responses'] as Record<string, Json>)[String(answer.status)];
    if (response === undefined) return [`${where}: status not documented for ${key} (documented: ${Object.keys(op['responses'] as Json).join(', ')})`];
    if (typeof response['$ref'] === 'string') response = this.resolve(response['$ref']);
    const content = response['content'] as Record<string, Json> | undefined;
    if (content === undefined) return answer.body === '' ? [] : [`${where}: a body where none is documented`];
    const media = Object.keys(content).find((type) => answer.contentType?.startsWith(type));
    if (media === undefined) return [`${where}: content type ${answer.contentType} not documented (${Object.keys(content).join(', ')})`];
    const item = content[media]!['x-memspace-item-schema'] as Json | undefined;
    if (media === 'application/json') return this.check(where, content[media]!['schema'] as Json, JSON.parse(answer.body));
    if (item === undefined) return [];
    const values =
      media === 'text/event-stream'
        ? [...answer.body.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as unknown)
        : answer.body
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as unknown);
    return values.flatMap((value, i) => this.check(`${where} item ${i}`, item, value));
  }

  private check(where: string, schema: Json, value: unknown): string[] {
    const text = JSON.stringify(schema);
    let validate = this.compiled.get(text);
    if (validate === undefined) {
      // The document's components travel with each schema, so its `#/components/...` refs resolve.
      validate = this.ajv.compile({ ...schema, components: this.doc['components'] });
      this.compiled.set(text, validate);
    }
    if (validate(value)) return [];
    return [`${where}: ${this.ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 400)}`];
  }

  private resolve(ref: string): Json {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<Json>((node, part) => node[part] as Json, this.doc);
  }

  /** The documented path a URL answers to: literal segments win over parameters, as in the router. */
  private operationPath(method: string, path: string): string | undefined {
    const candidates = Object.entries(this.doc['paths'] as Record<string, Json>)
      .filter(([template, ops]) => method.toLowerCase() in ops && new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path))
      .map(([template]) => template);
    return candidates.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
  }
}
