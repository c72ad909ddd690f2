/**
 * `google.protobuf.Struct` as `@grpc/proto-loader` hands it over (with `oneofs: true`, each
 * value says which `kind` it holds), to and from plain JSON: how the free-form parts of the
 * messages (metadata, filters, further fields) travel, on the server and in the client alike.
 */

/** A `google.protobuf.Value` as proto-loader reads and writes it. */
export interface ProtoValue {
  kind?: string;
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct | null;
  listValue?: { values?: ProtoValue[] } | null;
}

/** A `google.protobuf.Struct` as proto-loader reads and writes it. */
export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

/** The JSON object of a Struct; undefined for an absent one. */
export function fromStruct(struct: ProtoStruct | null | undefined): Record<string, unknown> | undefined {
  if (struct === null || struct === undefined) return undefined;
  return Object.fromEntries(Object.entries(struct.fields ?? {}).map(([key, value]) => [key, fromValue(value)]));
}

function fromValue(value: ProtoValue): unknown {
  switch (value.kind) {
    case 'numberValue':
      return value.numberValue;
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'structValue':
      return fromStruct(value.structValue) ?? {};
    case 'listValue':
      return (value.listValue?.values ?? []).map(fromValue);
    default:
      return null;
  }
}

/** A Struct of a JSON object, as JSON would carry it (undefined fields left out). */
export function toStruct(object: Record<string, unknown>): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const [key, value] of Object.entries(object)) if (value !== undefined) fields[key] = toValue(value);
  return { fields };
}

function toValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  if (typeof value === 'object') return { structValue: toStruct(value as Record<string, unknown>) };
  return { stringValue: String(value) };
}
