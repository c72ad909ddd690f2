import { MemspaceError } from '../core/errors.js';

/**
 * One path segment, encoded. A URL resolves `.` and `..` segments away (even as `%2E%2E`), which
 * would send the call to another route and another space, and an empty segment changes the
 * route too: those are refused here, with the code the server gives such names.
 */
export function segment(value: string, what: 'space' | 'id' = 'id'): string {
  if (value === '' || value === '.' || value === '..') {
    if (what === 'space') throw new MemspaceError('INVALID_SPACE', 'space name must be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-", and not "." or ".."', { name: value });
    throw new MemspaceError('VALIDATION_FAILED', `an id of ${JSON.stringify(value)} cannot be addressed in a URL`, { issues: [{ path: 'id', message: 'invalid id' }] });
  }
  return encodeURIComponent(value);
}
