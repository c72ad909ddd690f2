/**
 * `fields` without its undefined entries: what a partial update sets, or the options a caller
 * actually gave. One helper instead of a `...(x !== undefined && { x })` per field.
 */
export function definedOnly<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
