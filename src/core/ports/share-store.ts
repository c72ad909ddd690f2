/** Read access to one space given to another space's readers or to one key; optionally only memories with some tags. */
export interface ShareRecord {
  id: string;
  space: string;
  toSpace: string | null;
  toKey: string | null;
  role: 'read';
  tags: string[] | null;
  createdAt: number;
  createdBy: string | null;
}

/** The shares of the catalogue. Space names are compared case-insensitively. */
export interface ShareStore {
  /** Stores a share of a space; `CONFLICT` when its id exists. */
  create(record: ShareRecord): Promise<void>;
  /** Shares of one space (as the source), oldest first. */
  list(space: string): Promise<ShareRecord[]>;
  /** Shares given to one space (as the target: its readers may read the shared spaces), oldest first. */
  listTo(space: string): Promise<ShareRecord[]>;
  /** Deletes a share of `space`; false when there is none with that id. */
  delete(space: string, id: string): Promise<boolean>;
}
