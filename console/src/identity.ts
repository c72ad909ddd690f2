import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** A grant as the API shows it (src/core/grants.ts). */
export type Grant = { space: string; role: Role } | { prefix: string; role: Role } | { project: string; role: Role };
export type Role = 'read' | 'write' | 'admin';

/** Who is signed in: `GET /v1/whoami`. */
export interface Identity {
  id: string;
  name: string;
  grants: Grant[];
  defaultSpace: string | null;
  visibleSpaces: number;
}

export const IdentityContext = createContext<Identity | null>(null);

export function useIdentity(): Identity {
  const identity = useContext(IdentityContext);
  if (identity === null) throw new Error('no identity: the console renders pages only once signed in');
  return identity;
}

/** A grant over every space (prefix ""): what the API calls an operator. The server decides; this only hides what it would refuse. */
export function isOperator(identity: Identity): boolean {
  return identity.grants.some((g) => 'prefix' in g && g.prefix === '');
}

/** Holds an admin grant somewhere: may create keys and shares within it. */
export function isAdmin(identity: Identity): boolean {
  return identity.grants.some((g) => g.role === 'admin');
}
