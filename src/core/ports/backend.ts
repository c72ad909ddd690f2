import type { ChangeBell } from '../change-bell.js';
import type { Archiver } from './archiver.js';
import type { FederationStore } from './federation-store.js';
import type { KeyStore } from './key-store.js';
import type { ProjectStore } from './project-store.js';
import type { ShareStore } from './share-store.js';
import type { SpaceCatalog } from './space-catalog.js';

/** A storage backend: the catalogue (spaces, keys, shares, projects) and the stores of its spaces. */
export interface Backend {
  /** The spaces, and the factory of their stores. */
  readonly spaces: SpaceCatalog;
  /** The API keys. */
  readonly keys: KeyStore;
  /** The shares of spaces. */
  readonly shares: ShareStore;
  /** The projects: named groups of spaces. */
  readonly projects: ProjectStore;
  /** Federations: their participants, privacy budgets and releases. */
  readonly federations: FederationStore;
  /** Archive and restore of spaces; absent when the backend keeps no files to pack (PostgreSQL). */
  readonly archiver?: Archiver;
  /**
   * Rung with a space's key whenever its change feed may have grown: by this process's writes,
   * and (for a shared database) by other servers'. Change streams wait on it between reads.
   */
  readonly changeBell: ChangeBell;
  /** Closes the catalogue. Open space stores are closed by their owner first. */
  close(): Promise<void>;
}
