import type { ProjectRecord, SpaceRecord } from '../types.js';

/**
 * The projects of the catalogue. Names compare case-insensitively, as space names do; look-ups
 * return the record under the name as it was created. A project's spaces are the catalogue's
 * spaces whose `project` names it (whatever the case).
 *
 * Project quotas are not enforced here but by the space stores, inside each write transaction
 * (a write names its project in `StorageLimits.project`), which read the project's quotas and
 * its spaces' usage there.
 */
export interface ProjectStore {
  /** Records a new project; a name taken in any case is `CONFLICT`. */
  create(record: ProjectRecord): Promise<void>;
  /** The record of `name` (any case), or undefined. */
  get(name: string): Promise<ProjectRecord | undefined>;
  /** Projects ordered by name, optionally with a name prefix, after a name (for paging). */
  list(options: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<ProjectRecord[]>;
  /** Replaces the mutable fields (description, labels, defaults, quotas, updatedAt); `NOT_FOUND` when there is none. */
  update(record: ProjectRecord): Promise<void>;
  /**
   * Removes a project's record; false when it did not exist. `CONFLICT` with `details.spaces`
   * when spaces still name it, checked in the same transaction as the removal.
   */
  delete(name: string): Promise<boolean>;
  /** The spaces of a project ordered by name, after a name (for paging). */
  spaces(project: string, options: { after?: string | undefined; limit: number }): Promise<SpaceRecord[]>;
  /** How many spaces name the project. */
  countSpaces(project: string): Promise<number>;
}
