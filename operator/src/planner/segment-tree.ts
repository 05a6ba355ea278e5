// Minimum over index ranges with point updates, O(log n) each. Placement keeps one leaf per node
// (sorted by failure domain, so every domain is a contiguous range) holding its tie-break key, or
// +Infinity when the node cannot take a member right now.

export class MinSegmentTree {
  private readonly size: number;
  private readonly tree: Float64Array;

  constructor(readonly length: number) {
    let size = 1;
    while (size < length) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size).fill(Infinity);
  }

  set(index: number, value: number): void {
    let i = index + this.size;
    this.tree[i] = value;
    for (i >>= 1; i >= 1; i >>= 1) {
      const left = this.tree[2 * i];
      const right = this.tree[2 * i + 1];
      this.tree[i] = left < right ? left : right;
    }
  }

  get(index: number): number {
    return this.tree[index + this.size];
  }

  /** Minimum over [from, to); +Infinity for an empty range. */
  min(from: number, to: number): number {
    let best = Infinity;
    let lo = from + this.size;
    let hi = to + this.size;
    while (lo < hi) {
      if (lo & 1) {
        if (this.tree[lo] < best) best = this.tree[lo];
        lo++;
      }
      if (hi & 1) {
        hi--;
        if (this.tree[hi] < best) best = this.tree[hi];
      }
      lo >>= 1;
      hi >>= 1;
    }
    return best;
  }
}
