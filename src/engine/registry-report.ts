import { MemspaceError } from '../core/errors.js';
import type { RegistryOpenSpace, RegistryReport } from '../core/response-schemas.js';
import { iso } from '../core/views.js';
import { principalOf, type AccessGuard, type CallContext } from './access-guard.js';
import type { SpaceRegistry } from './space-registry.js';

/** Most open spaces listed: the registry's cap may be large, a page for people is not. */
const MAX_OPEN_LISTED = 200;
/** Most damaged spaces listed. */
const MAX_DAMAGED_LISTED = 100;
/** Catalogue records read per page while looking for damaged spaces. */
const SCAN_PAGE = 1000;

/**
 * What the open-space registry of this process holds, for operators only (a key whose grants
 * read every space): which spaces are open and how recently used, its counters, and the spaces
 * marked damaged with the reason of their last failed open. How busy the process is and which
 * spaces it serves say something of every tenant, so any other key is `FORBIDDEN`.
 */
export class RegistryReporter {
  constructor(
    private readonly registry: SpaceRegistry,
    private readonly guard: Pick<AccessGuard, 'isOperator'>,
  ) {}

  /** The report; `FORBIDDEN` for a key that is not an operator. Opens no space. */
  async report(call: CallContext = {}): Promise<RegistryReport> {
    if (!this.guard.isOperator(principalOf(call))) {
      throw new MemspaceError('FORBIDDEN', "the registry report needs a key whose grants cover every space (prefix \"\")");
    }
    const stats = this.registry.stats();
    // Least recently used first in the registry: turned round, the top of the list is the busiest.
    const names = this.registry.openNames().reverse();
    const openSpaces: RegistryOpenSpace[] = [];
    for (const [i, name] of names.slice(0, MAX_OPEN_LISTED).entries()) openSpaces.push(await this.openSpace(name, i + 1));
    const damaged = await this.damaged();
    return {
      open: stats.open,
      cap: stats.cap,
      opens: stats.opens,
      evictions: stats.evictions,
      idleCloses: stats.idleCloses,
      openFailures: stats.openFailures,
      openSpaces,
      openTruncated: names.length > MAX_OPEN_LISTED,
      damaged: damaged.items,
      damagedTruncated: damaged.truncated,
    };
  }

  /** Figures of an open space, read without moving it in the LRU order (`ifOpen`); null figures once it closed meanwhile. */
  private async openSpace(name: string, recency: number): Promise<RegistryOpenSpace> {
    const stats = await this.registry.ifOpen(name, ({ store }) => store.stats()).catch(() => undefined);
    return {
      name,
      recency,
      memories: stats?.memories ?? null,
      lastWriteAt: stats?.lastWriteAt === null || stats?.lastWriteAt === undefined ? null : iso(stats.lastWriteAt),
    };
  }

  /** Spaces the catalogue marks damaged (a failed open marks them; a good one clears the mark), with why, when this process saw it fail. */
  private async damaged(): Promise<{ items: RegistryReport['damaged']; truncated: boolean }> {
    const items: RegistryReport['damaged'] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.registry.backend.spaces.list({ limit: SCAN_PAGE, after });
      for (const record of page) {
        if (record.state !== 'damaged') continue;
        if (items.length === MAX_DAMAGED_LISTED) return { items, truncated: true };
        items.push({ name: record.name, error: this.registry.damageOf(record.name) ?? null });
      }
      if (page.length < SCAN_PAGE) return { items, truncated: false };
      after = page[page.length - 1]!.name;
    }
  }
}
