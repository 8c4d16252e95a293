// Growable (id, start, end) columns that tokenizers append to; copied out once per encoding.

export class TokenSink {
  ids = new Int32Array(512);
  starts = new Int32Array(512);
  ends = new Int32Array(512);
  length = 0;

  clear(): void {
    this.length = 0;
  }

  push(id: number, start: number, end: number): void {
    if (this.length === this.ids.length) this.grow();
    const k = this.length++;
    this.ids[k] = id;
    this.starts[k] = start;
    this.ends[k] = end;
  }

  private grow(): void {
    const size = this.ids.length * 2;
    for (const key of ['ids', 'starts', 'ends'] as const) {
      const next = new Int32Array(size);
      next.set(this[key]);
      this[key] = next;
    }
  }
}
