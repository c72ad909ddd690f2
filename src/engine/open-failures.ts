import { isMemspaceError, MemspaceError } from '../core/errors.js';
import type { SpaceCatalog } from '../core/ports/space-catalog.js';
import { spaceKey } from '../core/space-name.js';
import type { SpaceRecord } from '../core/types.js';

/** Why the last open of a space failed, and whether its storage was found damaged. */
interface OpenFailure {
  message: string;
  damaged: boolean;
}

/**
 * What the registry remembers of failed opens, for health and operators: the reason per space
 * until it opens again, and the `damaged` mark in the catalogue for storage that cannot be
 * read (cleared when the space opens again, repaired or because the failure passed).
 */
export class OpenFailures {
  private readonly failures = new Map<string, OpenFailure>();

  constructor(private readonly catalog: Pick<SpaceCatalog, 'update'>) {}

  /** Why the last open of this space in this process failed; undefined when it did not (or it opened since). */
  reasonOf(name: string): string | undefined {
    return this.failures.get(spaceKey(name))?.message;
  }

  /** Spaces whose last open in this process found their storage damaged. */
  damagedCount(): number {
    let n = 0;
    for (const failure of this.failures.values()) if (failure.damaged) n += 1;
    return n;
  }

  /**
   * Records that `record`'s storage failed to open; damaged storage is marked `damaged` in the
   * catalogue and becomes a `BACKEND_UNAVAILABLE` naming the space. Returns the error to throw.
   */
  async storageFailed(record: SpaceRecord, error: unknown): Promise<unknown> {
    const damaged = isMemspaceError(error) && error.details?.['damaged'] === true;
    this.failures.set(spaceKey(record.name), { message: messageOf(error), damaged });
    if (!damaged) return error;
    if (record.state !== 'damaged') {
      try {
        await this.catalog.update({ ...record, state: 'damaged' });
      } catch {
        // The mark is for operators; failing to write it must not hide the error itself.
      }
    }
    const reason = (error as MemspaceError).details?.['reason'];
    return new MemspaceError(
      'BACKEND_UNAVAILABLE',
      `space "${record.name}" cannot be opened: its storage is damaged${typeof reason === 'string' ? ` (${reason})` : ''}`,
      { space: record.name, damaged: true, ...(typeof reason === 'string' && { reason }) },
      { cause: error },
    );
  }

  /** Records that the space opened but what runs on opening it failed (its storage is not damaged). */
  openHookFailed(name: string, error: unknown): void {
    this.failures.set(spaceKey(name), { message: messageOf(error), damaged: false });
  }

  /**
   * Forgets the failures of a space that opened; one marked `damaged` goes back to `idle` in the
   * catalogue (its `updatedAt` untouched). Returns the record as it now stands.
   */
  async opened(record: SpaceRecord): Promise<SpaceRecord> {
    this.failures.delete(spaceKey(record.name));
    if (record.state !== 'damaged') return record;
    const next: SpaceRecord = { ...record, state: 'idle' };
    await this.catalog.update(next);
    return next;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
