import { MemspaceError } from '../core/errors.js';
import type { Role } from '../core/grants.js';
import { TokenBuckets } from '../core/token-bucket.js';
import type { AuditEvent, SpaceRecord, WriteContext } from '../core/types.js';
import { principalOf, type AccessGuard, type CallContext } from './access-guard.js';
import type { SpaceHandle, SpaceRegistry } from './space-registry.js';

/**
 * How the engine's services reach a space: the guard first, then the registry (which opens the
 * space), then the space's request-rate quota. The one path, so no service can forget a step.
 */
export class SpaceGate {
  /** Per-space request budgets (`quotas.maxRequestsPerSecond`). */
  private readonly requestBudgets = new TokenBuckets();

  constructor(
    readonly registry: SpaceRegistry,
    readonly guard: AccessGuard,
    readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `fn` with the open space once the caller holds `role` there (a refusal is audited and
   * thrown before the space is looked up, so an invisible space answers as a missing one) and
   * the request fits the space's rate quota. Every call of a service on a space is one request.
   */
  async use<T>(space: string, role: Role, call: CallContext, fn: (handle: SpaceHandle) => Promise<T>): Promise<T> {
    await this.authorize(space, role, call);
    return this.explained(call, () => this.open(space, fn));
  }

  /**
   * Runs `work`; a `SPACE_NOT_FOUND` it throws says what to do next as the caller of `call` may
   * be told ({@link AccessGuard.explain}): the closest space it can see, how to create one.
   */
  async explained<T>(call: CallContext, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw await this.guard.explain(error, principalOf(call));
    }
  }

  /** Asks the guard whether the caller of `call` may act on `space` with `role`; a refusal is audited and thrown. */
  authorize(space: string, role: Role, call: CallContext): Promise<void> {
    return this.guard.authorize(principalOf(call), space, role, call);
  }

  /**
   * Runs `fn` with the open space as one request against its rate quota, without a role check:
   * for work whose access was decided before (a read through a share) or that counts once for
   * many visits (an export's pages).
   */
  open<T>(space: string, fn: (handle: SpaceHandle) => Promise<T>): Promise<T> {
    return this.registry.use(space, (handle) => {
      this.admit(handle.record);
      return fn(handle);
    });
  }

  /**
   * Counts one request against a space's `maxRequestsPerSecond`; over it is `QUOTA_EXCEEDED`
   * naming the quota. For work that opens a space itself (export, import) and counts once.
   */
  admit(record: SpaceRecord): void {
    const rate = record.quotas.maxRequestsPerSecond;
    if (rate === null) return;
    const retryAfterMs = this.requestBudgets.take(record.name.toLowerCase(), rate, this.now());
    if (retryAfterMs > 0) {
      throw new MemspaceError('QUOTA_EXCEEDED', `space "${record.name}" is limited to ${rate} requests per second`, {
        quota: 'maxRequestsPerSecond',
        limit: rate,
        retryAfterMs,
      });
    }
  }

  /**
   * Appends an entry the engine writes of its own accord (a share made, a read through a
   * share) to a space's audit trail, in its own transaction. The caller's access was decided
   * before; this neither checks nor counts.
   */
  async record(space: string, event: AuditEvent, call: CallContext): Promise<void> {
    await this.registry.use(space, ({ store }) => store.appendAudit(event, this.writeContext(call, this.now())));
  }

  /** Who, when and for which request, as history and audit entries record it. */
  writeContext(call: CallContext, now: number): WriteContext {
    return { actor: actorOf(call), now, requestId: call.requestId ?? null };
  }
}

/** The actor a call records: given, else the principal's key id, else nobody (in-process use). */
export function actorOf(call: CallContext): string | null {
  return call.actor !== undefined ? call.actor : (call.principal?.keyId ?? null);
}
