// A binary max-heap of (priority, key) numbers; equal priorities pop the smaller key first.

export class MaxHeap {
  private priorities: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(priority: number, key: number): void {
    this.priorities.push(priority);
    this.keys.push(key);
    this.up(this.keys.length - 1);
  }

  pop(): { priority: number; key: number } | undefined {
    if (this.keys.length === 0) return undefined;
    const top = { priority: this.priorities[0]!, key: this.keys[0]! };
    const lastP = this.priorities.pop()!;
    const lastK = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.priorities[0] = lastP;
      this.keys[0] = lastK;
      this.down(0);
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    const pi = this.priorities[i]!;
    const pj = this.priorities[j]!;
    return pi > pj || (pi === pj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    [this.priorities[i], this.priorities[j]] = [this.priorities[j]!, this.priorities[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.before(l, best)) best = l;
      if (r < n && this.before(r, best)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
