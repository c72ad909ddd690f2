import { describe, expect, it } from 'vitest';
import { ERROR_CODES, HTTP_STATUS, MemspaceError, toMemspaceError } from '../../src/core/errors.js';

describe('error codes', () => {
  it('are pinned: clients branch on them, so changing one is a breaking change', () => {
    expect(ERROR_CODES).toEqual([
      'VALIDATION_FAILED',
      'INVALID_SPACE',
      'SPACE_CONFLICT',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'SPACE_NOT_FOUND',
      'NOT_FOUND',
      'CONFLICT',
      'SPACE_ARCHIVED',
      'PAYLOAD_TOO_LARGE',
      'DIMENSION_MISMATCH',
      'QUOTA_EXCEEDED',
      'BACKEND_UNAVAILABLE',
      'INTERNAL',
      'CURSOR_EXPIRED',
    ]);
  });

  it('map to the documented HTTP statuses', () => {
    expect(HTTP_STATUS).toEqual({
      VALIDATION_FAILED: 400,
      INVALID_SPACE: 400,
      SPACE_CONFLICT: 400,
      UNAUTHENTICATED: 401,
      FORBIDDEN: 403,
      SPACE_NOT_FOUND: 404,
      NOT_FOUND: 404,
      CONFLICT: 409,
      SPACE_ARCHIVED: 409,
      PAYLOAD_TOO_LARGE: 413,
      DIMENSION_MISMATCH: 422,
      QUOTA_EXCEEDED: 429,
      BACKEND_UNAVAILABLE: 503,
      INTERNAL: 500,
      CURSOR_EXPIRED: 410,
    });
  });

  it('serialise to the wire shape and hide unknown causes behind INTERNAL', () => {
    const e = new MemspaceError('NOT_FOUND', 'memory x not found', { id: 'x' });
    expect(e.toJSON()).toEqual({ error: { code: 'NOT_FOUND', message: 'memory x not found', details: { id: 'x' } } });
    const wrapped = toMemspaceError(new Error('secret path /var/db'));
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.message).not.toContain('secret');
  });
});
