/**
 * Keeps the `k` highest-scoring items seen, in a bounded min-heap: O(n log k) for a scan of n,
 * without sorting the whole list.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly items: Int32Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.scores = new Float64Array(Math.max(k, 1));
    this.items = new Int32Array(Math.max(k, 1));
  }

  /** The lowest score still kept once full; anything not above it is ignored. */
  get floor(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.scores[0]!;
  }

  /** Offers `item` with `score`. */
  push(item: number, score: number): void {
    if (this.k <= 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.scores[parent]! <= score) break;
        this.scores[i] = this.scores[parent]!;
        this.items[i] = this.items[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.items[i] = item;
    } else if (score > this.scores[0]!) {
      this.siftDown(item, score);
    }
  }

  /** The kept items, best first. */
  sorted(): { item: number; score: number }[] {
    const out: { item: number; score: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ item: this.items[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score);
  }

  private siftDown(item: number, score: number): void {
    let i = 0;
    const n = this.size;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.scores[right]! < this.scores[left]! ? right : left;
      if (this.scores[child]! >= score) break;
      this.scores[i] = this.scores[child]!;
      this.items[i] = this.items[child]!;
      i = child;
    }
    this.scores[i] = score;
    this.items[i] = item;
  }
}
