import { MemspaceError } from './errors.js';

/** Characters a space name may hold; ASCII only, so look-alike Unicode can never pass. */
const SPACE_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

/** Name of the space that always exists and is used when a request names none. */
export const DEFAULT_SPACE = 'default';

/** HTTP header naming the space of a request that has no `{space}` path segment (lower case, as Node keys headers). */
export const SPACE_HEADER = 'x-memory-space';

/**
 * An alias of {@link SPACE_HEADER} (lower case), for clients whose other memory stores speak of
 * namespaces: read wherever `X-Memory-Space` is, with the same precedence; the two naming
 * different spaces is `SPACE_CONFLICT`.
 */
export const NAMESPACE_HEADER = 'x-namespace';

/** The headers (and gRPC metadata keys) that name a space, in the order they are read. */
export const SPACE_HEADERS = [SPACE_HEADER, NAMESPACE_HEADER] as const;

/**
 * What the space headers of a request give, labelled for {@link pickSpace} (what a conflict's
 * details name them: `header` and `header x-namespace` by default, as other alias headers are);
 * `read` returns a header's value, undefined when absent.
 */
export function spaceHeaderEntries(
  read: (name: string) => unknown,
  labels: readonly [string, string] = ['header', `header ${NAMESPACE_HEADER}`],
): [where: string, value: unknown][] {
  return [
    [labels[0], read(SPACE_HEADER)],
    [labels[1], read(NAMESPACE_HEADER)],
  ];
}

/**
 * The space the space headers of a request name, validated, or undefined when none is given:
 * for the front ends that read only headers (MCP over HTTP, the mem0 API). An invalid name is
 * `INVALID_SPACE`, two headers naming different spaces (or one header given twice) `SPACE_CONFLICT`.
 */
export function spaceOfHeaders(read: (name: string) => unknown): string | undefined {
  const given = spaceHeaderEntries(read);
  return given.every(([, value]) => value === undefined) ? undefined : pickSpace(given);
}

/**
 * The one validation of space names; every interface calls it before anything else.
 * Returns the name unchanged when valid, throws `INVALID_SPACE` otherwise.
 * Rules: `^[a-zA-Z0-9_.-]{1,64}$`, not `.` or `..`; names starting with `_` are reserved for
 * system spaces and refused unless `allowSystem` is set.
 */
export function validateSpaceName(name: unknown, options: { allowSystem?: boolean } = {}): string {
  if (typeof name !== 'string') {
    throw new MemspaceError('INVALID_SPACE', 'space name must be a string');
  }
  if (!SPACE_NAME.test(name)) {
    throw new MemspaceError(
      'INVALID_SPACE',
      'space name must be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-"',
      { name: printable(name) },
    );
  }
  if (name === '.' || name === '..') {
    throw new MemspaceError('INVALID_SPACE', 'space name may not be "." or ".."', { name });
  }
  if (name.startsWith('_') && options.allowSystem !== true) {
    throw new MemspaceError('INVALID_SPACE', 'space names starting with "_" are reserved for system spaces', { name });
  }
  return name;
}

/** Key under which names are unique: two spaces may not differ only by case (file systems differ). */
export function spaceKey(name: string): string {
  return name.toLowerCase();
}

/** A bounded, escaped echo of a rejected name, safe to put in logs and error details. */
function printable(name: string): string {
  return JSON.stringify(name.slice(0, 80)).slice(1, -1);
}

/**
 * The space a request addresses, from the places it may name one in order of precedence
 * (undefined where it names none). Every one given must be a valid name (an invalid one never
 * falls back), and all given must name the same space (`SPACE_CONFLICT` otherwise; names
 * compare case-insensitively). With none, `fallback` (a key's default space) or
 * {@link DEFAULT_SPACE}. Every front end resolves spaces with it.
 */
export function pickSpace(given: readonly [where: string, value: unknown][], fallback?: string): string {
  const named: [string, string][] = [];
  for (const [where, value] of given) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      throw new MemspaceError('SPACE_CONFLICT', `the ${where} names more than one space`, { [where]: value.map(String) });
    }
    named.push([where, validateSpaceName(value)]);
  }
  const distinct = new Set(named.map(([, name]) => spaceKey(name)));
  if (distinct.size > 1) {
    throw new MemspaceError('SPACE_CONFLICT', 'the request names different spaces', Object.fromEntries(named));
  }
  return named[0]?.[1] ?? fallback ?? DEFAULT_SPACE;
}
