/**
 * Access counts of a space's memories (`SpaceStore.recordAccess`): noted by reads, kept in
 * memory, and applied by the next write transaction of the store, so a read never pays for a
 * write of its own. Advisory, not durable: counts still pending when the process dies are lost.
 */

/** The reads of one memory not yet applied: how many, and the time of the last. */
export interface PendingAccess {
  id: string;
  count: number;
  at: number;
}

/** The pending access counts of one open space. */
export class AccessCounter {
  private readonly pending = new Map<string, { count: number; at: number }>();

  /** True when counts wait for a write. */
  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Notes one read of each id at `at`; an id listed twice counts twice. */
  note(ids: readonly string[], at: number): void {
    for (const id of ids) {
      const p = this.pending.get(id);
      if (p) {
        p.count += 1;
        p.at = at;
      } else this.pending.set(id, { count: 1, at });
    }
  }

  /** Drops the counts of deleted memories: applied later, they would land on a new memory of the same id. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) this.pending.delete(id);
  }

  /**
   * Takes every pending count for the write transaction that applies it; the counter starts
   * empty again. Should that transaction roll back, the counts are lost, as advisory counts may be.
   */
  drain(): PendingAccess[] {
    const out = [...this.pending].map(([id, p]) => ({ id, count: p.count, at: p.at }));
    this.pending.clear();
    return out;
  }

  /**
   * Runs `save` (a write that applies the counts) when counts are pending, ignoring its
   * failure: a dump or a close goes on without the latest counts rather than fail for them.
   */
  async saveQuietly(save: () => unknown): Promise<void> {
    if (!this.hasPending) return;
    try {
      await save();
    } catch {
      // Access counts are advisory.
    }
  }
}
