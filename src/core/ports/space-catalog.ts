import type { SpaceRecord, SpaceStats } from '../types.js';
import type { ConsolidationStats, SpaceStore } from './space-store.js';

/** Figures of a closed space: those of {@link SpaceStats} that need no open index. */
export type ClosedSpaceStats = Omit<SpaceStats, 'vectorIndex'>;

/** The consolidation record of a closed space, with the count of memories decay dropped (`SpaceStore.decayedCount`). */
export type ClosedConsolidationStats = ConsolidationStats & { decayed: number };

/**
 * The catalogue of spaces plus the factory of their stores. Space names are compared
 * case-insensitively; look-ups return the record under the name as it was created.
 */
export interface SpaceCatalog {
  /** Records a new space and creates its storage; a name taken in any case is `CONFLICT`. */
  create(record: SpaceRecord): Promise<void>;
  /** The record of `name` (any case), or undefined. */
  get(name: string): Promise<SpaceRecord | undefined>;
  /** Spaces ordered by name, optionally with a name prefix, after a name (for paging). */
  list(options: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<SpaceRecord[]>;
  /** Replaces the mutable fields of a space's record; `SPACE_NOT_FOUND` when there is none. */
  update(record: SpaceRecord): Promise<void>;
  /**
   * Removes a space's record and every byte of its storage; false when it did not exist. The
   * space must be closed. Rings the space's change bell, so readers of its feed learn at once.
   */
  delete(name: string): Promise<boolean>;
  /**
   * Opens the storage of an existing space. Storage that is missing or cannot be opened is
   * `BACKEND_UNAVAILABLE` with `details.damaged: true`; the registry then marks the space `damaged`.
   */
  open(record: SpaceRecord): Promise<SpaceStore>;
  /**
   * Figures of a space that is not open in this process, read from its files without opening
   * it for use (no index load, no writes): what health and `memspace status` show for idle spaces.
   * `BACKEND_UNAVAILABLE` with `details.damaged: true` when its storage cannot be read.
   */
  inspect(record: SpaceRecord): Promise<ClosedSpaceStats>;
  /**
   * The consolidation record at `now` of a space that is not open in this process
   * (`SpaceStore.consolidationStats` and `decayedCount`), read like {@link inspect}: nothing
   * opened for use, nothing written. Null for an archived space (its record is in its archive);
   * `BACKEND_UNAVAILABLE` with `details.damaged: true` when its storage cannot be read.
   */
  inspectConsolidation(record: SpaceRecord, now: number): Promise<ClosedConsolidationStats | null>;
}
