import { describe, expect, it } from 'vitest';
import { uuidv7, validateId } from '../../src/core/ids.js';

describe('ids', () => {
  it('are RFC 9562 version 7 UUIDs carrying their time, unique and in creation order', () => {
    const at = Date.parse('2026-11-23T12:00:00Z');
    const ids = Array.from({ length: 5000 }, () => uuidv7(at));
    for (const id of ids.slice(0, 20)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(parseInt(uuidv7(at + 10_000).replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(at + 10_000);
  });

  it('keep their order when the clock steps back', () => {
    const a = uuidv7(Date.parse('2030-01-01T00:00:00Z'));
    const b = uuidv7(Date.parse('2020-01-01T00:00:00Z'));
    expect(b > a).toBe(true);
  });

  it('chosen by callers are restricted to safe characters', () => {
    expect(validateId('note:2026-11.a_b')).toBe('note:2026-11.a_b');
    for (const bad of ['', 'a/b', '../x', 'a b', 'x'.repeat(129), 'é', '.', '..', '...']) {
      expect(() => validateId(bad)).toThrowError(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});
