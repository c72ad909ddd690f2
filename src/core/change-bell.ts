/**
 * In-process wake-ups for readers of a space's change feed. Whoever commits to a feed (or
 * hears that another process did) rings the space; readers waiting on it re-read the feed.
 * A ring carries no data: the feed stays the only truth, so a ring that is lost or spurious
 * costs a delay or a read, never an event.
 */
export class ChangeBell {
  private readonly listeners = new Map<string, Set<() => void>>();

  /** Calls `fn` at every ring of `spaceKey` (a space's lower-cased name) until the returned function is called. */
  listen(spaceKey: string, fn: () => void): () => void {
    let set = this.listeners.get(spaceKey);
    if (set === undefined) this.listeners.set(spaceKey, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.listeners.get(spaceKey) === set) this.listeners.delete(spaceKey);
    };
  }

  /** Wakes the readers of one space. */
  ring(spaceKey: string): void {
    for (const fn of this.listeners.get(spaceKey) ?? []) fn();
  }

  /** Wakes every reader: after a gap in which rings may have been missed (a lost database connection). */
  ringAll(): void {
    for (const set of this.listeners.values()) for (const fn of set) fn();
  }
}
