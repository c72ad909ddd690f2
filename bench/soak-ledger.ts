/**
 * The soak run's record of every acknowledged write, and the checks against it at the end:
 * every memory the server acknowledged and the run did not delete (nor let expire) is listed
 * with the content of its last acknowledged revision, nothing else is, and the space's change
 * feed holds exactly the events those writes and the retention sweeps made.
 */

/** One memory the server acknowledged. */
export interface Tracked {
  readonly id: string;
  readonly space: string;
  /** The last acknowledged revision (0 when added, one more per update) and its content hash. */
  revision: number;
  hash: string;
  /** Epoch ms after which the memory is gone (retention); undefined: it never expires. */
  readonly expiresAt: number | undefined;
  /** The batch it was added in, deleted together by a filter on `metadata.batch`. */
  readonly batch: string | undefined;
  /** Deleted by the run, acknowledged. */
  deleted: boolean;
  updatesAcknowledged: number;
  /** Update requests sent, attempts without an answer included: each may have been applied. */
  updateAttempts: number;
  /** A change is in flight: nothing else touches it, and reads do not judge it. */
  busy: boolean;
  /** One more each time a change starts, so a read can tell whether one overlapped it. */
  version: number;
}

/** One event of a change feed, as the stream sends it. */
export interface FeedEvent {
  seq: number;
  op: string;
  id: string;
}

/** Counts of acknowledged writes, for the report. */
export interface LedgerFigures {
  added: number;
  updated: number;
  deletedOne: number;
  deletedByFilter: number;
  /** Memories added with an expiry, all of them expired and swept by the end. */
  withExpiry: number;
  /** Acknowledged write requests (a batch is one) by how they took effect. */
  settled: Record<Settlement, number>;
}

/**
 * How a write request took effect: acknowledged on its first attempt, acknowledged on a later
 * one (after attempts that got no answer), or done by an earlier attempt that got no answer,
 * whose effect the retry met (`409 CONFLICT` for an add, say).
 */
export type Settlement = 'first' | 'retried' | 'earlier';

/** The memories of one space. */
class SpaceLedger {
  readonly all = new Map<string, Tracked>();
  /** Memories without expiry, not deleted: the ones changes and reads pick from. */
  readonly mutable: Tracked[] = [];
  private readonly slot = new Map<Tracked, number>();
  /** Batches with members not deleted yet. */
  readonly batches = new Map<string, Set<Tracked>>();

  keep(m: Tracked): void {
    this.all.set(m.id, m);
    if (m.expiresAt === undefined) {
      this.slot.set(m, this.mutable.length);
      this.mutable.push(m);
    }
    if (m.batch !== undefined) {
      const members = this.batches.get(m.batch) ?? new Set();
      members.add(m);
      this.batches.set(m.batch, members);
    }
  }

  drop(m: Tracked): void {
    const at = this.slot.get(m);
    if (at !== undefined) {
      // Swap with the last, so removal costs nothing whatever the size.
      const last = this.mutable.pop()!;
      if (last !== m) {
        this.mutable[at] = last;
        this.slot.set(last, at);
      }
      this.slot.delete(m);
    }
    if (m.batch !== undefined) {
      const members = this.batches.get(m.batch);
      members?.delete(m);
      if (members?.size === 0) this.batches.delete(m.batch);
    }
  }
}

/** Every acknowledged write of the run, by space. */
export class Ledger {
  private readonly spaces = new Map<string, SpaceLedger>();
  readonly figures: LedgerFigures = { added: 0, updated: 0, deletedOne: 0, deletedByFilter: 0, withExpiry: 0, settled: { first: 0, retried: 0, earlier: 0 } };

  /** Records an acknowledged add. */
  added(space: string, id: string, hash: string, options: { expiresAt?: number; batch?: string } = {}): void {
    const m: Tracked = {
      id,
      space,
      revision: 0,
      hash,
      expiresAt: options.expiresAt,
      batch: options.batch,
      deleted: false,
      updatesAcknowledged: 0,
      updateAttempts: 0,
      busy: false,
      version: 0,
    };
    this.space(space).keep(m);
    this.figures.added += 1;
    if (m.expiresAt !== undefined) this.figures.withExpiry += 1;
  }

  /** Counts one acknowledged write request. */
  settled(how: Settlement): void {
    this.figures.settled[how] += 1;
  }

  /** Memories without expiry and not deleted in `space`. */
  held(space: string): number {
    return this.space(space).mutable.length;
  }

  /** A random memory of `space` that may be changed or read now, or undefined. */
  pick(space: string, random: () => number): Tracked | undefined {
    const list = this.space(space).mutable;
    for (let tries = 0; tries < 8 && list.length > 0; tries++) {
      const m = list[Math.floor(random() * list.length)]!;
      if (!m.busy) return m;
    }
    return undefined;
  }

  /** The live members of a random batch of `space` none of which is being changed, or undefined. */
  pickBatch(space: string, random: () => number): { batch: string; members: Tracked[] } | undefined {
    const batches = [...this.space(space).batches];
    for (let tries = 0; tries < 8 && batches.length > 0; tries++) {
      const [batch, members] = batches[Math.floor(random() * batches.length)]!;
      const list = [...members];
      if (list.every((m) => !m.busy)) return { batch, members: list };
    }
    return undefined;
  }

  /** Marks the start of a change of `ms`: reads overlapping it are not judged. */
  begin(ms: readonly Tracked[]): void {
    for (const m of ms) {
      m.busy = true;
      m.version += 1;
    }
  }

  /** Marks the end of a change of `ms`, acknowledged or not. */
  end(ms: readonly Tracked[]): void {
    for (const m of ms) m.busy = false;
  }

  /** Records an acknowledged update to `revision`. */
  updated(m: Tracked, revision: number, hash: string): void {
    m.revision = revision;
    m.hash = hash;
    m.updatesAcknowledged += 1;
    this.figures.updated += 1;
  }

  /** Records an acknowledged delete, of one memory or by a filter. */
  deleted(ms: readonly Tracked[], how: 'one' | 'filter'): void {
    for (const m of ms) {
      m.deleted = true;
      this.space(m.space).drop(m);
    }
    if (how === 'one') this.figures.deletedOne += ms.length;
    else this.figures.deletedByFilter += ms.length;
  }

  /** The latest expiry of any memory, epoch ms (0 when none expires). */
  lastExpiry(): number {
    let last = 0;
    for (const space of this.spaces.values()) for (const m of space.all.values()) if (m.expiresAt !== undefined && m.expiresAt > last) last = m.expiresAt;
    return last;
  }

  /**
   * Compares a listing of `space` made at `listedAt` (epoch ms) with the record: every memory
   * acknowledged, not deleted and not expired is there with its last content; nothing else is.
   */
  checkListing(space: string, listed: ReadonlyMap<string, string>, listedAt: number, fail: (message: string) => void): { present: number } {
    const record = this.space(space);
    let present = 0;
    for (const m of record.all.values()) {
      const gone = m.deleted || (m.expiresAt !== undefined && m.expiresAt <= listedAt);
      const hash = listed.get(m.id);
      if (gone) {
        if (hash !== undefined) fail(`${space}/${m.id}: ${m.deleted ? 'deleted (acknowledged)' : 'expired'} but still listed`);
      } else if (hash === undefined) {
        fail(`${space}/${m.id}: acknowledged at revision ${m.revision} but missing: a lost write`);
      } else if (hash !== m.hash) {
        fail(`${space}/${m.id}: listed with content ${hash}, acknowledged revision ${m.revision} has ${m.hash}`);
      } else {
        present += 1;
      }
    }
    for (const id of listed.keys()) if (!record.all.has(id)) fail(`${space}/${id}: listed but never acknowledged`);
    return { present };
  }

  /** A tally of the change feed of `space`, to compare with the record once read whole. */
  feedTally(space: string): FeedTally {
    return new FeedTally(space, this.space(space).all);
  }

  private space(name: string): SpaceLedger {
    let space = this.spaces.get(name);
    if (space === undefined) {
      space = new SpaceLedger();
      this.spaces.set(name, space);
    }
    return space;
  }
}

/** What the feed said of one memory. */
interface MemoryEvents {
  created: number;
  updated: number;
  deleted: number;
  first: string;
  last: string;
}

/**
 * The events of one space's whole change feed, counted by memory as they are read (a long run's
 * feeds are too long to keep), then compared with the record.
 */
export class FeedTally {
  private readonly seen = new Map<string, MemoryEvents>();
  private readonly strange: string[] = [];

  constructor(
    private readonly space: string,
    private readonly record: ReadonlyMap<string, Tracked>,
  ) {}

  add(e: FeedEvent): void {
    const counts = this.seen.get(e.id) ?? { created: 0, updated: 0, deleted: 0, first: e.op, last: e.op };
    if (e.op === 'memory.created') counts.created += 1;
    else if (e.op === 'memory.updated') counts.updated += 1;
    else if (e.op === 'memory.deleted') counts.deleted += 1;
    else this.strange.push(`${this.space}: feed event ${e.seq} is ${e.op}, which the run never causes`);
    counts.last = e.op;
    this.seen.set(e.id, counts);
  }

  /**
   * Compares the feed, read after a final sweep at `sweptAt`, with the record: one
   * `memory.created` per acknowledged memory, first; as many `memory.updated` as updates
   * acknowledged (at most as many as were sent); one `memory.deleted`, last, for each memory
   * deleted or expired; no event of a memory the run never acknowledged.
   */
  check(sweptAt: number, fail: (message: string) => void): void {
    for (const message of this.strange) fail(message);
    for (const m of this.record.values()) {
      const counts = this.seen.get(m.id);
      const gone = m.deleted || (m.expiresAt !== undefined && m.expiresAt <= sweptAt);
      const where = `${this.space}/${m.id}`;
      if (counts === undefined) {
        fail(`${where}: acknowledged but the feed has no event of it`);
        continue;
      }
      if (counts.created !== 1 || counts.first !== 'memory.created') fail(`${where}: ${counts.created} memory.created events, the first being ${counts.first}`);
      if (counts.updated < m.updatesAcknowledged || counts.updated > m.updateAttempts) {
        fail(`${where}: ${counts.updated} memory.updated events for ${m.updatesAcknowledged} acknowledged updates of ${m.updateAttempts} sent`);
      }
      if (counts.deleted !== (gone ? 1 : 0) || (gone && counts.last !== 'memory.deleted')) {
        fail(`${where}: ${counts.deleted} memory.deleted events (last event ${counts.last}) for a memory ${gone ? 'gone' : 'still there'}`);
      }
    }
    for (const id of this.seen.keys()) if (!this.record.has(id)) fail(`${this.space}/${id}: in the feed but never acknowledged`);
  }
}
