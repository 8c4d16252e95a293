// A normalized piece of text as UTF-16 code units, each remembering which span of the ORIGINAL
// string it came from, so token offsets map back to the input (as HF's NormalizedString alignments).

export class NormalizedText {
  units = new Uint16Array(256);
  /** Original start (UTF-16 index) of each normalized unit. */
  starts = new Int32Array(256);
  /** Original end (exclusive) of each normalized unit. */
  ends = new Int32Array(256);
  length = 0;

  clear(): void {
    this.length = 0;
  }

  /** Makes room for `extra` more units. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.units.length) return;
    let size = this.units.length * 2;
    while (size < need) size *= 2;
    const units = new Uint16Array(size);
    units.set(this.units.subarray(0, this.length));
    const starts = new Int32Array(size);
    starts.set(this.starts.subarray(0, this.length));
    const ends = new Int32Array(size);
    ends.set(this.ends.subarray(0, this.length));
    this.units = units;
    this.starts = starts;
    this.ends = ends;
  }

  /** Appends every unit of `s`, all aligned to the original span [start, end). */
  pushString(s: string, start: number, end: number): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) {
      const k = this.length++;
      this.units[k] = s.charCodeAt(i);
      this.starts[k] = start;
      this.ends[k] = end;
    }
  }

  /** The normalized text as a string. */
  toString(from = 0, to = this.length): string {
    let out = '';
    for (let i = from; i < to; i += 8192) {
      out += String.fromCharCode.apply(null, this.units.subarray(i, Math.min(to, i + 8192)) as unknown as number[]);
    }
    return out;
  }
}
