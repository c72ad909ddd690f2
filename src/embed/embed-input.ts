import { MemspaceError } from '../core/errors.js';

/**
 * Checks what every embedder accepts: an array of non-empty strings. Empty strings are refused
 * everywhere (rather than only where a backend chokes on them) so switching embedders never
 * changes which inputs are valid.
 * @throws MemspaceError `VALIDATION_FAILED`, with the offending `index` in the details.
 */
export function validateTexts(texts: readonly string[]): void {
  // Callers from plain JavaScript or a loosely typed edge can pass anything.
  if (!Array.isArray(texts)) throw new MemspaceError('VALIDATION_FAILED', 'texts must be an array of strings');
  for (const [index, text] of texts.entries()) {
    if (typeof text !== 'string') {
      throw new MemspaceError('VALIDATION_FAILED', `text at index ${index} is not a string`, { index });
    }
    if (text.length === 0) {
      throw new MemspaceError('VALIDATION_FAILED', `text at index ${index} is empty`, { index });
    }
  }
}

/**
 * Returns `value` when it is a positive safe integer.
 * @throws MemspaceError `VALIDATION_FAILED` naming the option otherwise.
 */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MemspaceError('VALIDATION_FAILED', `${name} must be a positive integer`, { [name]: value });
  }
  return value;
}
