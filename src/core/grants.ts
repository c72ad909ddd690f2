import { z } from 'zod';
import { spaceKey, validateSpaceName } from './space-name.js';

/** What a key may do in a space, each role including the ones before it. */
export const ROLES = ['read', 'write', 'admin'] as const;
/** One role. */
export type Role = (typeof ROLES)[number];

/** A grant: one space exactly, or every space whose name starts with a prefix (`""` is every space). */
export type Grant = { space: string; role: Role } | { prefix: string; role: Role };

const spaceName = z.string().refine((s) => {
  try {
    validateSpaceName(s);
    return true;
  } catch {
    return false;
  }
}, 'not a valid space name');

/** A grant as keys are created with. Prefixes are checked like names, without the length floor. */
export const GrantSchema = z.union([
  z.strictObject({ space: spaceName, role: z.enum(ROLES) }),
  z.strictObject({ prefix: z.string().regex(/^[a-zA-Z0-9_.-]{0,64}$/, 'a prefix holds the characters of space names'), role: z.enum(ROLES) }),
]);

/** Options of a new key. */
export const KeyCreateSchema = z.strictObject({
  name: z.string().min(1).max(128),
  grants: z.array(GrantSchema).min(1).max(100),
  defaultSpace: spaceName.optional(),
});
/** Parsed key options. */
export type KeyCreate = z.output<typeof KeyCreateSchema>;

/** The grant that lets a key do anything anywhere: the root key's. */
export const ROOT_GRANT: Grant = { prefix: '', role: 'admin' };

function rank(role: Role): number {
  return ROLES.indexOf(role);
}

/** True when `grant` covers space `name`; names compare case-insensitively, as spaces do. */
function coversSpace(grant: Grant, name: string): boolean {
  return 'space' in grant ? spaceKey(grant.space) === spaceKey(name) : spaceKey(name).startsWith(spaceKey(grant.prefix));
}

/** The highest role the grants give in space `name`, or undefined when none covers it. */
export function roleIn(grants: readonly Grant[], name: string): Role | undefined {
  let best: Role | undefined;
  for (const grant of grants) {
    if (coversSpace(grant, name) && (best === undefined || rank(grant.role) > rank(best))) best = grant.role;
  }
  return best;
}

/** True when `role` includes `needed`. */
export function allows(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && rank(role) >= rank(needed);
}

/**
 * True when `grants` hold `target` whole: every space `target` reaches, with at least its role.
 * A key may only hand out (or see) grants its own admin grants hold.
 */
export function holds(grants: readonly Grant[], target: Grant, role: Role = target.role): boolean {
  return grants.some((g) => {
    if (!allows(g.role, role)) return false;
    if ('space' in target) return coversSpace(g, target.space);
    return 'prefix' in g && spaceKey(target.prefix).startsWith(spaceKey(g.prefix));
  });
}

/** A share of a space: read access for another space's readers or for one key (`key_…`), optionally only some tags. */
export const ShareInputSchema = z.strictObject({
  to: z.string().min(1).max(128),
  role: z.literal('read').default('read'),
  tags: z.array(z.string().min(1).max(128)).min(1).max(64).optional(),
});

/** A search over several spaces: the request of a one-space search plus the spaces to search. */
export const CrossSearchSpacesSchema = z.array(z.string()).min(1).max(20);
