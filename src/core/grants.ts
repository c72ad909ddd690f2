import { z } from 'zod';
import { spaceKey, validateSpaceName } from './space-name.js';

/** What a key may do in a space, each role including the ones before it. */
export const ROLES = ['read', 'write', 'admin'] as const;
/** One role. */
export type Role = (typeof ROLES)[number];

/**
 * A grant: one space exactly, every space whose name starts with a prefix (`""` is every space
 * and every project), or a project: the project itself and exactly the spaces whose record
 * names it, present and future.
 */
export type Grant = { space: string; role: Role } | { prefix: string; role: Role } | { project: string; role: Role };

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
  z.strictObject({ project: spaceName, role: z.enum(ROLES) }),
]);

/** Options of a new key. */
export const KeyCreateSchema = z.strictObject({
  name: z.string().min(1).max(128),
  grants: z.array(GrantSchema).min(1).max(100),
  defaultSpace: spaceName.optional(),
});
/** Parsed key options. */
export type KeyCreate = z.output<typeof KeyCreateSchema>;

/**
 * A change of a key (`PATCH /v1/keys/{id}`): its default ("current") space, the space its
 * requests reach when they name none; null goes back to the space named `default`.
 */
export const KeyPatchSchema = z.strictObject({
  defaultSpace: spaceName.nullable(),
});
/** Parsed key change. */
export type KeyPatch = z.output<typeof KeyPatchSchema>;

/** The calling key as `GET /v1/whoami` shows it. */
export interface WhoAmI {
  /** The key's id (`key_…`); `local` for whoever holds the data directory or a server without authentication. */
  id: string;
  name: string;
  grants: Grant[];
  /** The space requests that name none reach; null for the space named `default`. */
  defaultSpace: string | null;
  /** How many spaces the key can see (exactly those a space listing shows it). */
  visibleSpaces: number;
}

/** The grant that lets a key do anything anywhere: the root key's. */
export const ROOT_GRANT: Grant = { prefix: '', role: 'admin' };

function rank(role: Role): number {
  return ROLES.indexOf(role);
}

/**
 * True when `grant` covers space `name` of project `project`; names compare case-insensitively,
 * as spaces do. A project grant covers a space only when the space's project is known and equal.
 */
function coversSpace(grant: Grant, name: string, project: string | null | undefined): boolean {
  if ('space' in grant) return spaceKey(grant.space) === spaceKey(name);
  if ('prefix' in grant) return spaceKey(name).startsWith(spaceKey(grant.prefix));
  return project !== null && project !== undefined && spaceKey(grant.project) === spaceKey(project);
}

/** True when `grant` covers project `name`: its own project grant, or the grant of every name (prefix `""`). */
function coversProject(grant: Grant, name: string): boolean {
  if ('project' in grant) return spaceKey(grant.project) === spaceKey(name);
  return 'prefix' in grant && grant.prefix === '';
}

function best(grants: readonly Grant[], covers: (grant: Grant) => boolean): Role | undefined {
  let top: Role | undefined;
  for (const grant of grants) {
    if (covers(grant) && (top === undefined || rank(grant.role) > rank(top))) top = grant.role;
  }
  return top;
}

/**
 * The highest role the grants give in space `name`, or undefined when none covers it.
 * `project` is the space's project (from its record): project grants count only when it is given.
 */
export function roleIn(grants: readonly Grant[], name: string, project?: string | null): Role | undefined {
  return best(grants, (g) => coversSpace(g, name, project));
}

/** The highest role the grants give on project `name` itself (view it, change it, create spaces in it). */
export function roleInProject(grants: readonly Grant[], name: string): Role | undefined {
  return best(grants, (g) => coversProject(g, name));
}

/** True when some grant is a project grant: only then does a space's project matter to access. */
export function hasProjectGrant(grants: readonly Grant[]): boolean {
  return grants.some((g) => 'project' in g);
}

/** True when `role` includes `needed`. */
export function allows(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && rank(role) >= rank(needed);
}

/**
 * True when `grants` hold `target` whole: every space `target` reaches, with at least its role.
 * A key may only hand out (or see) grants its own admin grants hold. A project grant holds only
 * grants on its own project: the spaces it reaches are decided by their records, not their
 * names, so it holds no grant on a name (a space of that name may later be another project's).
 */
export function holds(grants: readonly Grant[], target: Grant, role: Role = target.role): boolean {
  return grants.some((g) => {
    if (!allows(g.role, role)) return false;
    if ('project' in target) return coversProject(g, target.project);
    if ('space' in target) return coversSpace(g, target.space, undefined);
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
