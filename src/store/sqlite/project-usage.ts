/**
 * Project quotas on the embedded backend: the usage of every space of a project, known in
 * process, so that a write transaction (synchronous, on the main thread) can add up its
 * project's total without an await.
 *
 * Every write of this process runs on the main thread, one transaction at a time, so the
 * figures are exact within one process: an open space's figures are read from its own
 * connection at the moment of the check (its `usage` row, committed, since no other transaction
 * is open meanwhile); a closed space's figures cannot change while it is closed, so they are
 * kept from when it closed, or read once from its files (`SpaceCatalog.inspect`) before the
 * first check of its project. Several processes writing one data directory would each see only
 * their own writes: like the rest of the embedded backend, a data directory has one owner.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import type { ClosedSpaceStats } from '../../core/ports/space-catalog.js';
import { spaceKey } from '../../core/space-name.js';
import { enforceProjectLimits, limitsProject, type UsageFigures } from '../../core/storage-limits.js';
import type { ProjectQuotas, SpaceRecord } from '../../core/types.js';
import { spaceFromRow, type SpaceRow } from '../common/catalog-rows.js';
import { JSON_TEXT } from './catalog-db.js';

/** Checks one write of one space against its project's quotas, inside the write transaction. */
export type ProjectCheck = (before: UsageFigures, after: UsageFigures) => void;

interface ClosedFigures {
  /** `created_at` of the space's record when the figures were taken: a later space of the same name is another space. */
  createdAt: number;
  figures: UsageFigures;
}

/**
 * What an open space's store tells the ledger of its data directory: its name, so that its
 * figures count for its project, and the ledger itself.
 */
export interface ProjectUsageLink {
  ledger: ProjectUsage;
  space: string;
}

/** The usage figures of the spaces of one data directory, for project quotas; its space catalogue owns it. */
export class ProjectUsage {
  /** Figures of open spaces, read live through their own connection; by space key. */
  private readonly live = new Map<string, () => UsageFigures>();
  /** Figures of closed spaces; by space key. */
  private readonly closed = new Map<string, ClosedFigures>();
  private readonly statements: { quotas: Database.Statement; spaces: Database.Statement; createdAt: Database.Statement };

  /** `inspect` reads the figures of a closed space from its files (`SpaceCatalog.inspect`). */
  constructor(
    catalog: Database.Database,
    private readonly inspect: (record: SpaceRecord) => Promise<ClosedSpaceStats>,
  ) {
    this.statements = {
      quotas: catalog.prepare('SELECT quotas FROM projects WHERE name = ?').pluck(),
      spaces: catalog.prepare('SELECT * FROM spaces WHERE project = ?'),
      createdAt: catalog.prepare('SELECT created_at FROM spaces WHERE name = ?').pluck(),
    };
  }

  /** A space opened: from now on its figures are read through `read`. */
  opened(space: string, read: () => UsageFigures): void {
    const key = spaceKey(space);
    this.live.set(key, read);
    this.closed.delete(key);
  }

  /** A space is closing: its figures, read now, stay until it opens again. */
  closing(space: string, read: () => UsageFigures): void {
    const key = spaceKey(space);
    this.live.delete(key);
    try {
      const figures = read();
      const createdAt = this.statements.createdAt.get(space) as number | undefined;
      if (createdAt !== undefined) this.closed.set(key, { createdAt, figures: { memories: figures.memories, payloadBytes: figures.payloadBytes } });
    } catch {
      // Unreadable now: the next check of its project reads them from the files.
    }
  }

  /**
   * Gets ready to check writes of `project`: when it has quotas, reads once the figures of its
   * spaces that are neither open nor known. Returns the check for writes of `space`, or
   * undefined when the project limits nothing.
   */
  async prepare(project: string, space: string): Promise<ProjectCheck | undefined> {
    if (!limitsProject(this.quotasOf(project))) return undefined;
    for (const row of this.spaceRows(project)) {
      const key = spaceKey(row.name);
      if (this.known(key, row.created_at)) continue;
      try {
        const stats = await this.inspect(spaceFromRow(row, JSON_TEXT));
        // An open, a write or a close meanwhile knows better than what was just read.
        if (!this.known(key, row.created_at)) this.closed.set(key, { createdAt: row.created_at, figures: { memories: stats.memories, payloadBytes: stats.payloadBytes } });
      } catch {
        // Damaged storage holds nothing this process can count; it counts as empty.
      }
    }
    const self = spaceKey(space);
    return (before, after) => {
      const quotas = this.quotasOf(project);
      if (!limitsProject(quotas)) return;
      enforceProjectLimits(project, quotas, this.othersOf(project, self), before, after);
    };
  }

  /** The project's quotas, read from the catalogue at the moment of the check. */
  private quotasOf(project: string): ProjectQuotas | undefined {
    const text = this.statements.quotas.get(project) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as ProjectQuotas);
  }

  private spaceRows(project: string): SpaceRow<string>[] {
    return this.statements.spaces.all(project) as SpaceRow<string>[];
  }

  private known(key: string, createdAt: number): boolean {
    return this.live.has(key) || this.closed.get(key)?.createdAt === createdAt;
  }

  /**
   * The total of the project's spaces other than `self`. A space neither open nor known was
   * created after {@link prepare} read the list, and has never been opened: it is empty.
   */
  private othersOf(project: string, self: string): UsageFigures {
    const total = { memories: 0, payloadBytes: 0 };
    for (const row of this.spaceRows(project)) {
      const key = spaceKey(row.name);
      if (key === self) continue;
      const live = this.live.get(key);
      const figures = live !== undefined ? live() : this.closed.get(key)?.createdAt === row.created_at ? this.closed.get(key)!.figures : undefined;
      total.memories += figures?.memories ?? 0;
      total.payloadBytes += figures?.payloadBytes ?? 0;
    }
    return total;
  }
}
