import { MemspaceError } from '../core/errors.js';
import { allows, holds, roleIn, ROOT_GRANT, type Grant, type Role } from '../core/grants.js';
import type { JsonObject } from '../core/types.js';
import type { SpaceRegistry } from './space-registry.js';

/** Who makes a request: a key's id, name, grants and default space. */
export interface Principal {
  keyId: string;
  name: string;
  grants: readonly Grant[];
  defaultSpace: string | null;
}

/** Whoever holds the data directory (the local CLI, a server with authentication off) may do anything. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ keyId: 'local', name: 'local', grants: [ROOT_GRANT], defaultSpace: null });

/**
 * Who calls the engine and for which request. Every service method takes one; the front-ends
 * (REST, MCP, mem0, LangGraph, CLI) build it from what authenticated the request.
 */
export interface CallContext {
  /** Whose grants apply. @default {@link LOCAL_PRINCIPAL}: in-process callers hold the data directory */
  principal?: Principal;
  /** Recorded as the actor of history and audit entries. @default the principal's key id, or null without a principal */
  actor?: string | null;
  /** The request being served (HTTP request id), so audit entries can be traced to it. */
  requestId?: string;
  /** What a refusal records of the request in the space's audit trail, e.g. `{method, route}` or `{tool}`. */
  via?: JsonObject;
  /** Hears of a refusal that could not be audited (the refusal stands all the same). @default ignored */
  onAuditError?: (error: unknown) => void;
}

/** Whose grants a call carries: its principal, or the local principal for in-process callers that name none. */
export function principalOf(call: CallContext): Principal {
  return call.principal ?? LOCAL_PRINCIPAL;
}

/**
 * The one access check of the engine: every front-end and every service asks it before
 * touching a space. A space outside every grant of the caller is `SPACE_NOT_FOUND`, exactly as
 * a space that does not exist, so a scoped key learns nothing of other spaces; a visible space
 * with too small a role is `FORBIDDEN`. A refusal is recorded (`request.denied`) in the audit
 * trail of the space it named, when that space exists: its owner learns who tried, the caller
 * learns nothing more.
 */
export class AccessGuard {
  constructor(
    private readonly registry: SpaceRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /** The highest role `principal` holds in `space`, or undefined when the space is invisible to it. */
  roleIn(principal: Principal, space: string): Role | undefined {
    return roleIn(principal.grants, space);
  }

  /** True when `principal` may see `space` at all. */
  canSee(principal: Principal, space: string): boolean {
    return roleIn(principal.grants, space) !== undefined;
  }

  /** Resolves when `principal` may act on `space` with `needed`; otherwise audits the refusal and throws it. */
  async authorize(principal: Principal, space: string, needed: Role, context: CallContext = {}): Promise<void> {
    const role = roleIn(principal.grants, space);
    if (allows(role, needed)) return;
    const error =
      role === undefined
        ? new MemspaceError('SPACE_NOT_FOUND', `space "${space}" not found`, { space })
        : new MemspaceError('FORBIDDEN', `this key may ${role} in space "${space}" but not ${needed}`, { space, role, needed });
    await this.recordRefusal(principal, space, error, context).catch((e: unknown) => context.onAuditError?.(e));
    throw error;
  }

  /**
   * True for an operator: a principal whose grants read every space. How busy the process is
   * (open spaces, damaged spaces) says something of other tenants, so only operators see it.
   */
  isOperator(principal: Principal): boolean {
    return holds(principal.grants, ROOT_GRANT, 'read');
  }

  /** True when `principal` may create a space named `name`: it holds admin over the name. */
  canCreate(principal: Principal, name: string): boolean {
    return allows(roleIn(principal.grants, name), 'admin');
  }

  /**
   * Resolves when `principal` may create a space named `name` (admin over the name);
   * `FORBIDDEN` otherwise, decided on the name alone so it reveals nothing of what exists.
   */
  authorizeCreate(principal: Principal, name: string): void {
    if (!this.canCreate(principal, name)) {
      throw new MemspaceError('FORBIDDEN', `this key may not create space "${name}"`, { space: name });
    }
  }

  private async recordRefusal(principal: Principal, space: string, error: MemspaceError, context: CallContext): Promise<void> {
    const record = await this.registry.record(space).catch(() => undefined);
    if (record === undefined) return; // nothing to tell an owner of a space that does not exist
    await this.registry.use(record.name, ({ store }) =>
      store.appendAudit(
        { action: 'request.denied', ids: [], details: { ...context.via, code: error.code } },
        { actor: principal.keyId, now: this.now(), requestId: context.requestId ?? null },
      ),
    );
  }
}
