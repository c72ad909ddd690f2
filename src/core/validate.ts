import type { z } from 'zod';
import { MemspaceError } from './errors.js';

/** One field-level problem, as listed in `details.issues` of a `VALIDATION_FAILED` error. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Parses `input` with `schema`; failures become `VALIDATION_FAILED` listing every field at fault. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: ValidationIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || what,
    message: issue.message,
  }));
  const first = issues[0];
  const summary = first === undefined ? 'invalid' : `${first.path}: ${first.message}`;
  throw new MemspaceError('VALIDATION_FAILED', `invalid ${what}: ${summary}`, { issues });
}
