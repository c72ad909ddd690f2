/**
 * Packing a closed space's storage into one compressed file and back: a capability of
 * backends that keep a space in files of its own (the embedded one). Space names are compared
 * case-insensitively.
 */
export interface Archiver {
  /**
   * Moves a closed space into one compressed file under `archive/` and removes its directory;
   * the catalogue's `state: archived` is the commit point, so a crash at any step leaves either
   * the space as it was or the archive complete. Returns the archive's size. `CONFLICT` when
   * already archived.
   */
  archive(name: string): Promise<{ bytes: number }>;
  /** Brings an archived space back into its directory (state `idle`) and removes the archive file; `CONFLICT` when not archived. */
  restore(name: string): Promise<void>;
}
