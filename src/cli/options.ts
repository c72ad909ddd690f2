import { InvalidArgumentError } from 'commander';
import { definedOnly } from '../core/defined.js';
import { MemspaceError } from '../core/errors.js';

// Parsers of option values and the mapping of options to request fields, shared by the
// command groups. Parsers given to commander throw InvalidArgumentError, which commander
// reports as a usage error (exit 2); those that run inside an action throw MemspaceErrors
// (exit 1), like the checks the engine makes.

/** `list`, or undefined when it is empty: a repeatable option given no time sets no field. */
export function nonEmpty<T>(list: readonly T[]): readonly T[] | undefined {
  return list.length > 0 ? list : undefined;
}

/** The scope options `--user`, `--agent`, `--run`. */
export interface ScopeFlags {
  user?: string;
  agent?: string;
  run?: string;
}

/** `--user`, `--agent` and `--run` as the request fields they set. */
export function scopeFields(o: ScopeFlags): { userId?: string; agentId?: string; runId?: string } {
  return definedOnly({ userId: o.user, agentId: o.agent, runId: o.run });
}

/** The quota options of `spaces create` and `spaces set`. */
export interface QuotaFlags {
  maxMemories?: number;
  maxBytes?: number;
  maxRps?: number;
}

/** Quota flags as a partial `quotas` object; 0 means no limit. */
export function quotaFields(o: QuotaFlags): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [flag, quota] of [['maxMemories', 'maxMemories'], ['maxBytes', 'maxBytes'], ['maxRps', 'maxRequestsPerSecond']] as const) {
    const value = o[flag];
    if (typeof value === 'number') out[quota] = value === 0 ? null : value;
  }
  return out;
}

/** Commander's accumulator for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Commander's parser of an integer option. */
export function toInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`not an integer: ${value}`);
  return n;
}

/** `1,5,10`: positive integers, comma-separated. */
export function toIntList(value: string): number[] {
  const items = value.split(',').map((part) => part.trim());
  if (items.some((part) => !/^[1-9][0-9]*$/.test(part))) throw new InvalidArgumentError(`not a comma-separated list of positive integers: ${value}`);
  return items.map(Number);
}

/** Commander's parser of a finite number option. */
export function toNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${value}`);
  return n;
}

/** `acme.*:write` is a prefix grant, `acme.sales:read` an exact one, `*:admin` everything, `project:acme:admin` a project. */
export function parseGrant(text: string): Record<string, string> {
  const at = text.lastIndexOf(':');
  if (at <= 0) throw new InvalidArgumentError(`a grant is SPACE:ROLE, PREFIX*:ROLE or project:PROJECT:ROLE, got "${text}"`);
  const target = text.slice(0, at);
  const role = text.slice(at + 1);
  // Space names hold no ":", so the word "project:" cannot start one.
  if (target.startsWith('project:')) return { project: target.slice('project:'.length), role };
  return target.endsWith('*') ? { prefix: target.slice(0, -1), role } : { space: target, role };
}

/** Repeated `--label k=v` as an object of strings. */
export function labelsOption(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((kv) => splitPair(kv, 'label')));
}

/** Repeated `--meta k=v` as an object; a value is JSON when it parses (numbers, booleans, arrays), else a string. */
export function metadataOption(pairs: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(pairs.map((kv) => parseMeta(kv)));
}

/** The JSON text of option `flag`; not JSON is a VALIDATION_FAILED naming the flag. */
export function parseJsonOption(text: string, flag: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MemspaceError('VALIDATION_FAILED', `${flag} is not valid JSON`, { issues: [{ path: flag, message: 'not JSON' }] });
  }
}

/** {@link parseJsonOption} of an option that may be absent; absent stays undefined (JSON never parses to it). */
export function optionalJson(text: string | undefined, flag: string): unknown {
  return text === undefined ? undefined : parseJsonOption(text, flag);
}

function parseMeta(kv: string): [string, unknown] {
  const [key, raw] = splitPair(kv, 'meta');
  try {
    return [key, JSON.parse(raw) as unknown];
  } catch {
    return [key, raw];
  }
}

function splitPair(kv: string, what: string): [string, string] {
  const at = kv.indexOf('=');
  if (at <= 0) throw new MemspaceError('VALIDATION_FAILED', `--${what} takes key=value, got "${kv}"`, { issues: [{ path: what, message: 'key=value' }] });
  return [kv.slice(0, at), kv.slice(at + 1)];
}
