import type { z } from 'zod';
import { MemspaceError } from './errors.js';
import { jsonProblem, MAX_INPUT_DEPTH } from './json-limits.js';

/** One field-level problem, as listed in `details.issues` of a `VALIDATION_FAILED` error. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/**
 * Parses `input` with `schema`; failures become `VALIDATION_FAILED` listing every field at
 * fault, with the broken limit and its unit in `details` when one was broken. Before the schema,
 * the input must be JSON any walk can afford ({@link jsonProblem}): well-formed strings, finite
 * numbers, at most {@link MAX_INPUT_DEPTH} levels.
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): z.output<S> {
  checkJson(input, what);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: ValidationIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || what,
    message: issue.message,
  }));
  const limited = result.error.issues.map((issue) => (issue.code === 'custom' ? (issue.params as LimitParams | undefined) : undefined)).find((p) => p?.limit !== undefined);
  throw invalid(what, issues, limited);
}

/**
 * Throws `VALIDATION_FAILED` when `value` is not JSON any walk can afford ({@link jsonProblem}):
 * the check {@link parseWith} makes before its schema, for callers that have no schema to apply
 * (the SDK checks what it sends with it). `path` names the value within the input ('' for the
 * input itself); `limits` default to any input's.
 */
export function checkJson(value: unknown, what: string, path = '', limits: { depth: number; keys?: number } = { depth: MAX_INPUT_DEPTH }): void {
  const problem = jsonProblem(value, path, limits);
  if (problem !== undefined) throw invalid(what, [{ path: problem.path || what, message: problem.message }], problem);
}

/** What a refinement of a schema puts in its issue's `params` when it enforces a limit. */
export interface LimitParams {
  limit?: number;
  unit?: string;
}

function invalid(what: string, issues: ValidationIssue[], limit: LimitParams | undefined): MemspaceError {
  const first = issues[0];
  const summary = first === undefined ? 'invalid' : `${first.path}: ${first.message}`;
  return new MemspaceError('VALIDATION_FAILED', `invalid ${what}: ${summary}`, {
    issues,
    ...(limit?.limit !== undefined && { limit: limit.limit, unit: limit.unit }),
  });
}
