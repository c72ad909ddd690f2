import { describe, expect, it } from 'vitest';
import { allows, holds, KeyCreateSchema, roleIn, type Grant } from '../../src/core/grants.js';

describe('grants', () => {
  const grants: Grant[] = [
    { prefix: 'team-a.', role: 'write' },
    { space: 'user1', role: 'read' },
    { space: 'shared', role: 'admin' },
  ];

  it('cover an exact space or a prefix, case-insensitively, with the highest role given', () => {
    expect(roleIn(grants, 'team-a.sales')).toBe('write');
    expect(roleIn(grants, 'TEAM-A.sales')).toBe('write');
    expect(roleIn(grants, 'user1')).toBe('read');
    expect(roleIn([...grants, { prefix: 'team-a.s', role: 'admin' }], 'team-a.sales')).toBe('admin');
  });

  it('stop at the boundaries a user means', () => {
    expect(roleIn(grants, 'team-b.sales')).toBeUndefined();
    expect(roleIn(grants, 'team-a')).toBeUndefined(); // the prefix ends with its separator
    expect(roleIn(grants, 'team-acorp')).toBeUndefined();
    expect(roleIn(grants, 'user10')).toBeUndefined(); // an exact grant is exact
    expect(roleIn(grants, 'user')).toBeUndefined();
  });

  it('order roles', () => {
    expect(allows('admin', 'read')).toBe(true);
    expect(allows('write', 'admin')).toBe(false);
    expect(allows(undefined, 'read')).toBe(false);
  });

  it('let a key hand out only what its admin grants hold', () => {
    const admin: Grant[] = [{ prefix: 'acme.', role: 'admin' }];
    expect(holds(admin, { space: 'acme.sales', role: 'write' })).toBe(true);
    expect(holds(admin, { prefix: 'acme.eu.', role: 'admin' })).toBe(true);
    expect(holds(admin, { prefix: 'acme', role: 'read' })).toBe(false); // wider than acme.
    expect(holds(admin, { space: 'acmecorp', role: 'read' })).toBe(false);
    expect(holds([{ space: 'acme.sales', role: 'admin' }], { prefix: 'acme.sales', role: 'read' })).toBe(false); // a prefix reaches more than one space
  });

  it('validate new keys', () => {
    expect(KeyCreateSchema.safeParse({ name: 'bot', grants: [{ space: '../x', role: 'read' }] }).success).toBe(false);
    expect(KeyCreateSchema.safeParse({ name: 'bot', grants: [{ prefix: 'a/', role: 'read' }] }).success).toBe(false);
    expect(KeyCreateSchema.safeParse({ name: 'bot', grants: [{ space: 'a', role: 'owner' }] }).success).toBe(false);
    expect(KeyCreateSchema.safeParse({ name: 'bot', grants: [] }).success).toBe(false);
    expect(KeyCreateSchema.safeParse({ name: 'bot', grants: [{ space: 'a', prefix: 'b', role: 'read' }] }).success).toBe(false);
    expect(KeyCreateSchema.parse({ name: 'bot', grants: [{ prefix: 'acme.', role: 'write' }], defaultSpace: 'acme.sales' })).toMatchObject({ defaultSpace: 'acme.sales' });
  });
});
