import { expect } from 'vitest';
import { type ErrorCode, MemspaceError } from '../../src/core/errors.js';

/** The MemspaceError a call fails with; fails the test if it succeeds or fails otherwise. */
export async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<MemspaceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MemspaceError);
  expect((error as MemspaceError).code, (error as Error).message).toBe(code);
  return error as MemspaceError;
}
