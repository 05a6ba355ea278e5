// Min-cost maximum flow (primal-dual: Dijkstra with potentials, then a blocking flow over the edges
// of zero reduced cost, as in Dinic). Costs are pairs compared lexicographically — (isolation, node
// balance) for placement — so the first part always dominates, with no scaling constant that a large
// cluster could overflow. Lexicographically ordered pairs form an ordered group, which is all the
// potential argument needs. Phases = distinct shortest-path lengths, not units of flow, so a
// placement of thousands of members at a handful of cost levels takes a handful of Dijkstras.

export class MinCostFlow {
  /** Edge ids leaving each vertex, in insertion order: ties between equal paths go to the earlier edge. */
  private readonly adj: number[][] = [];
  private readonly to: number[] = [];
  private readonly cap: number[] = [];
  private readonly original: number[] = [];
  private readonly cost1: number[] = [];
  private readonly cost2: number[] = [];

  get vertices(): number {
    return this.adj.length;
  }

  addVertex(): number {
    this.adj.push([]);
    return this.adj.length - 1;
  }

  /** Edge u → v; returns its id (its reverse is id ^ 1). */
  addEdge(u: number, v: number, capacity: number, cost1 = 0, cost2 = 0): number {
    const id = this.to.length;
    this.push(u, v, capacity, cost1, cost2);
    this.push(v, u, 0, -cost1, -cost2);
    return id;
  }

  private push(u: number, v: number, capacity: number, c1: number, c2: number): void {
    this.to.push(v);
    this.cap.push(capacity);
    this.original.push(capacity);
    this.cost1.push(c1);
    this.cost2.push(c2);
    this.adj[u].push(this.to.length - 1);
  }

  flowOn(edge: number): number {
    return this.original[edge] - this.cap[edge];
  }

  /** True when the edge runs from the reached side to the unreached side of a residual reach. */
  crosses(edge: number, reach: Uint8Array): boolean {
    return reach[this.to[edge ^ 1]] === 1 && reach[this.to[edge]] === 0;
  }

  capacityOf(edge: number): number {
    return this.original[edge];
  }

  /** Send up to `limit` units from s to t at least cost; returns the amount sent. */
  solve(s: number, t: number, limit: number): number {
    const n = this.adj.length;
    const pot1 = new Float64Array(n);
    const pot2 = new Float64Array(n);
    let sent = 0;
    while (sent < limit) {
      const [d1, d2] = this.shortestPaths(s, pot1, pot2);
      if (d1[t] === Infinity) break;
      for (let v = 0; v < n; v++) {
        const closer = d1[v] < d1[t] || (d1[v] === d1[t] && d2[v] < d2[t]);
        pot1[v] += closer ? d1[v] : d1[t];
        pot2[v] += closer ? d2[v] : d2[t];
      }
      const pushed = this.blockingFlows(s, t, limit - sent, pot1, pot2);
      if (pushed === 0) break; // cannot happen with exact potentials; guards against a float surprise
      sent += pushed;
    }
    return sent;
  }

  /** Vertices reachable from s over edges with residual capacity: the source side of a minimum cut. */
  residualReach(s: number): Uint8Array {
    const seen = new Uint8Array(this.adj.length);
    const stack = [s];
    seen[s] = 1;
    while (stack.length > 0) {
      const u = stack.pop()!;
      for (const e of this.adj[u]) {
        const v = this.to[e];
        if (this.cap[e] > 0 && !seen[v]) {
          seen[v] = 1;
          stack.push(v);
        }
      }
    }
    return seen;
  }

  private shortestPaths(s: number, pot1: Float64Array, pot2: Float64Array): [Float64Array, Float64Array] {
    const n = this.adj.length;
    const d1 = new Float64Array(n).fill(Infinity);
    const d2 = new Float64Array(n).fill(Infinity);
    const heap = new PairHeap();
    d1[s] = 0;
    d2[s] = 0;
    heap.push(0, 0, s);
    while (heap.size > 0) {
      const [a, b, u] = heap.pop();
      if (a !== d1[u] || b !== d2[u]) continue;
      for (const e of this.adj[u]) {
        if (this.cap[e] <= 0) continue;
        const v = this.to[e];
        const na = a + this.cost1[e] + pot1[u] - pot1[v];
        const nb = b + this.cost2[e] + pot2[u] - pot2[v];
        if (na < d1[v] || (na === d1[v] && nb < d2[v])) {
          d1[v] = na;
          d2[v] = nb;
          heap.push(na, nb, v);
        }
      }
    }
    return [d1, d2];
  }

  private admissible(e: number, u: number, pot1: Float64Array, pot2: Float64Array): boolean {
    const v = this.to[e];
    return this.cap[e] > 0 && this.cost1[e] + pot1[u] - pot1[v] === 0 && this.cost2[e] + pot2[u] - pot2[v] === 0;
  }

  /** Dinic over the zero-reduced-cost edges until t is unreachable through them. */
  private blockingFlows(s: number, t: number, limit: number, pot1: Float64Array, pot2: Float64Array): number {
    const n = this.adj.length;
    let pushed = 0;
    const level = new Int32Array(n);
    const iter = new Int32Array(n);
    while (pushed < limit) {
      level.fill(-1);
      level[s] = 0;
      const queue = [s];
      for (let i = 0; i < queue.length; i++) {
        const u = queue[i];
        for (const e of this.adj[u]) {
          const v = this.to[e];
          if (level[v] < 0 && this.admissible(e, u, pot1, pot2)) {
            level[v] = level[u] + 1;
            queue.push(v);
          }
        }
      }
      if (level[t] < 0) break;
      iter.fill(0);
      const dfs = (u: number, want: number): number => {
        if (u === t) return want;
        const out = this.adj[u];
        for (; iter[u] < out.length; iter[u]++) {
          const e = out[iter[u]];
          const v = this.to[e];
          if (level[v] !== level[u] + 1 || !this.admissible(e, u, pot1, pot2)) continue;
          const got = dfs(v, Math.min(want, this.cap[e]));
          if (got > 0) {
            this.cap[e] -= got;
            this.cap[e ^ 1] += got;
            return got;
          }
        }
        return 0;
      };
      for (let got = dfs(s, limit - pushed); got > 0; got = pushed < limit ? dfs(s, limit - pushed) : 0) pushed += got;
    }
    return pushed;
  }
}

/** Binary min-heap of (a, b, value) ordered by (a, b). */
class PairHeap {
  private readonly a: number[] = [];
  private readonly b: number[] = [];
  private readonly v: number[] = [];

  get size(): number {
    return this.v.length;
  }

  private less(i: number, j: number): boolean {
    return this.a[i] < this.a[j] || (this.a[i] === this.a[j] && this.b[i] < this.b[j]);
  }

  private swap(i: number, j: number): void {
    const a = this.a[i];
    this.a[i] = this.a[j];
    this.a[j] = a;
    const b = this.b[i];
    this.b[i] = this.b[j];
    this.b[j] = b;
    const v = this.v[i];
    this.v[i] = this.v[j];
    this.v[j] = v;
  }

  push(a: number, b: number, value: number): void {
    this.a.push(a);
    this.b.push(b);
    this.v.push(value);
    for (let i = this.v.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number, number] {
    const top: [number, number, number] = [this.a[0], this.b[0], this.v[0]];
    const last = this.v.length - 1;
    this.swap(0, last);
    this.a.pop();
    this.b.pop();
    this.v.pop();
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.v.length && this.less(l, m)) m = l;
      if (r < this.v.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}
