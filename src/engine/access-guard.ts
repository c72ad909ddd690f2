import { MemspaceError } from '../core/errors.js';
import { allows, hasProjectGrant, holds, roleIn, roleInProject, ROOT_GRANT, type Grant, type Role } from '../core/grants.js';
import type { JsonObject } from '../core/types.js';
import { RefusalAudit, type RefusalAuditOptions } from './refusal-audit.js';
import type { SpaceRegistry } from './space-registry.js';
import { explainNotFound, SpaceSuggestions } from './space-suggestions.js';

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
  /**
   * What a refusal records of the request in the space's audit trail, e.g. `{method, route}` or
   * `{tool}`; refusals of one key in one space are counted together when this and the code agree.
   */
  via?: JsonObject;
}

/** Whose grants a call carries: its principal, or the local principal for in-process callers that name none. */
export function principalOf(call: CallContext): Principal {
  return call.principal ?? LOCAL_PRINCIPAL;
}

/**
 * The one access check of the engine: every front-end and every service asks it before
 * touching a space. A space outside every grant of the caller is `SPACE_NOT_FOUND`, exactly as
 * a space that does not exist, so a scoped key learns nothing of other spaces; a visible space
 * with too small a role is `FORBIDDEN`. A refusal is counted, and recorded (`request.denied`,
 * with the count) in the audit trail of the space it named when that space exists
 * ({@link RefusalAudit}): its owner learns who tried, the caller learns nothing more.
 */
export class AccessGuard {
  private readonly refusals: RefusalAudit;
  private readonly suggestions: SpaceSuggestions;

  constructor(
    private readonly registry: SpaceRegistry,
    refusals: RefusalAuditOptions = {},
  ) {
    this.refusals = new RefusalAudit(registry, refusals);
    this.suggestions = new SpaceSuggestions(registry.backend);
  }

  /**
   * `error` with what to do next when it is `SPACE_NOT_FOUND`: the closest name among the
   * spaces `principal` may see ("did you mean"), never another, and how to create the space
   * (engine/space-suggestions.ts). Any other error is returned as it is. The guard answers its
   * own refusals so; the gate and the front ends pass what reaches them through it, so that a
   * space missing from the catalogue gets the same answer as one hidden by the grants.
   */
  explain(error: unknown, principal: Principal): Promise<unknown> {
    return explainNotFound(
      error,
      (space) => this.suggestions.closest(space, principal.grants, (r) => this.canSee(principal, r.name, r.project)),
      // Creating a space takes admin by the grants on its name (a project grant needs the space's record, which a missing space has not).
      (space) => roleIn(principal.grants, space) === 'admin',
    );
  }

  /**
   * The highest role `principal` holds in `space`, or undefined when the space is invisible to
   * it. `project` is the space's project, from its record: without it, project grants count for nothing.
   */
  roleIn(principal: Principal, space: string, project?: string | null): Role | undefined {
    return roleIn(principal.grants, space, project);
  }

  /** True when `principal` may see `space` (of `project`, from its record) at all. */
  canSee(principal: Principal, space: string, project?: string | null): boolean {
    return roleIn(principal.grants, space, project) !== undefined;
  }

  /**
   * {@link canSee} for a space known by name only, without waiting (for what must not await, such
   * as the labels of metrics): a space's project is known while the space is open in this
   * process, so project grants count for open spaces only.
   */
  canSeeNow(principal: Principal, space: string): boolean {
    const project = hasProjectGrant(principal.grants) ? this.registry.openRecord(space)?.project : undefined;
    return roleIn(principal.grants, space, project) !== undefined;
  }

  /**
   * {@link roleIn} for a space known by name only: its project is looked up (the registry's
   * record) only when the principal holds a project grant, so other keys pay nothing for projects.
   */
  async roleOf(principal: Principal, space: string): Promise<Role | undefined> {
    if (!hasProjectGrant(principal.grants)) return roleIn(principal.grants, space);
    const direct = roleIn(principal.grants, space);
    if (direct === 'admin') return direct;
    const project = await this.registry.record(space).then(
      (record) => record.project,
      () => null, // invalid or missing: no project grant reaches it, and the caller learns that as usual
    );
    return roleIn(principal.grants, space, project);
  }

  /** {@link canSee} for a space known by name only (see {@link roleOf}). */
  async canSeeSpace(principal: Principal, space: string): Promise<boolean> {
    return (await this.roleOf(principal, space)) !== undefined;
  }

  /** The highest role `principal` holds on project `name` itself, or undefined when the project is invisible to it. */
  roleInProject(principal: Principal, name: string): Role | undefined {
    return roleInProject(principal.grants, name);
  }

  /** Resolves when `principal` may act on `space` with `needed`; otherwise counts the refusal for the audit and throws it. */
  async authorize(principal: Principal, space: string, needed: Role, context: CallContext = {}): Promise<void> {
    const role = await this.roleOf(principal, space);
    if (allows(role, needed)) return;
    const error =
      role === undefined
        ? new MemspaceError('SPACE_NOT_FOUND', `space "${space}" not found`, { space })
        : new MemspaceError('FORBIDDEN', `this key may ${role} in space "${space}" but not ${needed}`, { space, role, needed });
    await this.refusals.count({ keyId: principal.keyId, space, via: context.via, code: error.code, requestId: context.requestId });
    throw await this.explain(error, principal);
  }

  /**
   * Writes the refusals counted so far (those naming `space`, when given) to the audit trails
   * of their spaces: before a trail is read or a space archived, so neither misses them.
   */
  flushRefusals(space?: string): Promise<void> {
    return this.refusals.flush(space);
  }

  /** Writes every refusal counted and stops the timer of the interval; for shutdown. */
  close(): Promise<void> {
    return this.refusals.close();
  }

  /**
   * True for an operator: a principal whose grants read every space. How busy the process is
   * (open spaces, damaged spaces) says something of other tenants, so only operators see it.
   */
  isOperator(principal: Principal): boolean {
    return holds(principal.grants, ROOT_GRANT, 'read');
  }

  /**
   * True when `principal` may create a space named `name` in `project` (none: undefined or
   * null): admin over the project for a space of a project (any free name), else admin over the name.
   */
  canCreate(principal: Principal, name: string, project?: string | null): boolean {
    if (project !== undefined && project !== null) return allows(roleInProject(principal.grants, project), 'admin');
    return allows(roleIn(principal.grants, name), 'admin');
  }

  /**
   * Resolves when `principal` may create a space named `name` in `project` ({@link canCreate});
   * decided on the names alone, so it reveals nothing of what exists. A project the principal
   * cannot see is `NOT_FOUND`, as a missing one; otherwise a refusal is `FORBIDDEN`.
   */
  authorizeCreate(principal: Principal, name: string, project?: string | null): void {
    if (project !== undefined && project !== null && roleInProject(principal.grants, project) === undefined) {
      throw new MemspaceError('NOT_FOUND', `project "${project}" not found`, { project });
    }
    if (!this.canCreate(principal, name, project)) {
      throw new MemspaceError('FORBIDDEN', `this key may not create space "${name}"`, { space: name });
    }
  }
}
