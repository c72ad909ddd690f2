import fc from 'fast-check';

/** The part of JSON Schema (2020-12) that the server's zod schemas produce in /openapi.json. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
}

/**
 * Values for properties, by name, wherever they occur: for fields whose schema says too little
 * (a vector or a filter is `{}` in JSON Schema) and for fields whose useful values depend on the
 * server's state (the ids and space names that exist).
 */
export type Hints = Readonly<Record<string, fc.Arbitrary<unknown>>>;

/** Past this depth a generated value stops nesting: a deep value is an invalid case of its own. */
const MAX_DEPTH = 4;
/** Strings and arrays without an upper bound stay this much above their lower one. */
const SPAN = 24;
/** fast-check's integers are 32-bit; the schemas' open integer ranges are cut to them. */
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** Values valid under `schema` (its refinements aside, which JSON Schema cannot express). */
export function valueOf(schema: JsonSchema, hints: Hints, depth = 0): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined) return fc.oneof(...alternatives.map((s) => valueOf(s, hints, depth)));
  if (schema.allOf !== undefined) return valueOf(Object.assign({}, ...schema.allOf) as JsonSchema, hints, depth);
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => valueOf({ ...schema, type }, hints, depth)));
  switch (schema.type) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? (schema.exclusiveMinimum ?? INT32.min - 1) + 1, INT32.min), max: Math.min(schema.maximum ?? (schema.exclusiveMaximum ?? INT32.max + 1) - 1, INT32.max) });
    case 'number':
      return fc.double({
        noNaN: true,
        noDefaultInfinity: true,
        min: schema.minimum ?? schema.exclusiveMinimum ?? -1e9,
        max: schema.maximum ?? schema.exclusiveMaximum ?? 1e9,
        minExcluded: schema.exclusiveMinimum !== undefined,
        maxExcluded: schema.exclusiveMaximum !== undefined,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.min(schema.maxItems ?? minLength + 4, minLength + 4);
      return depth >= MAX_DEPTH ? fc.constant([]) : fc.array(valueOf(schema.items ?? {}, hints, depth + 1), { minLength, maxLength });
    }
    case 'object':
      return objectOf(schema, hints, depth);
    default:
      // `{}`: any JSON value; null often, which the options a schema leaves open most often take.
      return fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: Math.max(0, 2 - depth) }));
  }
}

function objectOf(schema: JsonSchema, hints: Hints, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  // Each optional property is left out two times in three: an object with many options then
  // still often has only values that pass the refinements JSON Schema cannot express.
  const model = Object.fromEntries(
    Object.entries(properties).map(([name, s]) => {
      const value = hints[name] ?? valueOf(s, hints, depth + 1);
      return [name, required.has(name) ? value : fc.oneof({ weight: 2, arbitrary: fc.constant(ABSENT) }, value)];
    }),
  );
  const known = fc.record(model).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ABSENT)));
  const extra = schema.additionalProperties;
  if (typeof extra !== 'object' || depth >= MAX_DEPTH) return known;
  const keys = (schema.propertyNames !== undefined ? stringOf(schema.propertyNames) : fc.string({ maxLength: 12 })) as fc.Arbitrary<string>;
  return fc.tuple(known, fc.dictionary(keys, valueOf(extra, hints, depth + 1), { maxKeys: 4 })).map(([k, e]) => ({ ...e, ...k }));
}

/** Marks an optional property left out. */
const ABSENT = Symbol('absent');

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? minLength + SPAN, minLength + SPAN);
  if (schema.format === 'date-time') {
    return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  }
  if (schema.pattern !== undefined) {
    const matching = stringMatching(schema.pattern);
    if (matching !== undefined) return matching.filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
  }
  return fc.oneof(fc.string({ minLength, maxLength }), fc.string({ unit: 'grapheme', minLength, maxLength }));
}

/** fast-check's strings for a pattern, or undefined for a pattern it cannot generate from. */
function stringMatching(pattern: string): fc.Arbitrary<string> | undefined {
  try {
    const arbitrary = fc.stringMatching(new RegExp(pattern));
    fc.sample(arbitrary, 1);
    return arbitrary;
  } catch {
    return undefined;
  }
}

/** Ways to break a valid JSON value: what a schema must refuse, and a server must answer with a 4xx. */
const BREAKERS: readonly fc.Arbitrary<unknown>[] = [
  fc.constantFrom(null, true, 0, -1, 1e308, -1e-308, '', 'x', [], {}, [null], { '': null }),
  fc.string({ maxLength: 40 }),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
];

/**
 * Values near a valid one that break its schema: a property dropped, one added, one of the
 * wrong type, or the whole value of another type.
 */
export function brokenValueOf(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const replacement = fc.oneof(...BREAKERS);
  return fc.tuple(valid, fc.constantFrom('drop', 'add', 'retype', 'replace'), fc.nat(), replacement).map(([value, how, pick, other]) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || how === 'replace') return other;
    const entries = Object.entries(value);
    const at = entries.length === 0 ? 0 : pick % entries.length;
    if (how === 'add' || entries.length === 0) return { ...value, [`unexpected${pick % 3}`]: other };
    if (how === 'drop') return Object.fromEntries(entries.filter((_, i) => i !== at));
    return Object.fromEntries(entries.map(([k, v], i) => [k, i === at ? other : v]));
  });
}
