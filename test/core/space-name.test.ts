import { describe, expect, it } from 'vitest';
import { spaceKey, validateSpaceName } from '../../src/core/space-name.js';

describe('space names', () => {
  it.each(['default', 'acme.sales', 'user_42', 'a', 'A-b.c_d', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(validateSpaceName(name)).toBe(name);
  });

  it.each([
    ['path traversal', '../x'],
    ['a slash', 'a/b'],
    ['a backslash', 'a\\b'],
    ['URL-encoded dots', '%2e%2e'],
    ['a NUL byte', 'ab\u0000c'],
    ['dot', '.'],
    ['dot dot', '..'],
    ['65 characters', 'x'.repeat(65)],
    ['empty', ''],
    ['Cyrillic look-alike', 'tеam'],
    ['full-width letters', 'ｔｅａｍ'],
    ['a space', 'my space'],
    ['a newline', 'a\nb'],
    ['the reserved prefix', '_system'],
  ])('rejects %s with INVALID_SPACE', (_label, name) => {
    expect(() => validateSpaceName(name)).toThrowError(expect.objectContaining({ code: 'INVALID_SPACE' }));
  });

  it('rejects non-strings', () => {
    for (const value of [undefined, null, 42, {}, ['a']]) {
      expect(() => validateSpaceName(value)).toThrowError(expect.objectContaining({ code: 'INVALID_SPACE' }));
    }
  });

  it('lets the system use the reserved prefix', () => {
    expect(validateSpaceName('_audit', { allowSystem: true })).toBe('_audit');
  });

  it('compares case-insensitively', () => {
    expect(spaceKey('Team')).toBe(spaceKey('team'));
  });
});
