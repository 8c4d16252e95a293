// A trie over UTF-16 code units, for longest-prefix vocabulary matching without building substrings.
// Edges live in one open-addressing hash table keyed by (node, unit), so a lookup is a few array reads.

const EMPTY = -1;

export class UnitTrie {
  /** Payload of each node (a token id), or -1 when no token ends there. Node 0 is the root. */
  private values: Int32Array;
  private nodeCount = 1;
  private keyNode: Int32Array;
  private keyUnit: Uint16Array;
  private child: Int32Array;
  private mask: number;
  private edgeCount = 0;

  constructor(expectedUnits = 1024) {
    const capacity = 1 << Math.max(10, Math.ceil(Math.log2(expectedUnits * 2 + 1)));
    this.values = new Int32Array(Math.max(16, expectedUnits + 1)).fill(EMPTY);
    this.keyNode = new Int32Array(capacity).fill(EMPTY);
    this.keyUnit = new Uint16Array(capacity);
    this.child = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Stores `value` for `key` (a later insert of the same key wins). */
  insert(key: string, value: number): void {
    let node = 0;
    for (let i = 0; i < key.length; i++) {
      const unit = key.charCodeAt(i);
      let next = this.next(node, unit);
      if (next < 0) next = this.addEdge(node, unit);
      node = next;
    }
    this.values[node] = value;
  }

  /** The node reached from `node` by `unit`, or -1. */
  next(node: number, unit: number): number {
    let slot = hash(node, unit) & this.mask;
    for (;;) {
      const n = this.keyNode[slot]!;
      if (n === EMPTY) return EMPTY;
      if (n === node && this.keyUnit[slot] === unit) return this.child[slot]!;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The value stored at `node`, or -1. */
  value(node: number): number {
    return this.values[node]!;
  }

  /** The node for a whole key, or -1 when no stored key starts with it. */
  walk(key: string, from = 0): number {
    let node = from;
    for (let i = 0; i < key.length && node >= 0; i++) node = this.next(node, key.charCodeAt(i));
    return node;
  }

  private addEdge(node: number, unit: number): number {
    if ((this.edgeCount + 1) * 2 > this.mask + 1) this.growEdges();
    const created = this.nodeCount++;
    if (created >= this.values.length) {
      const grown = new Int32Array(this.values.length * 2).fill(EMPTY);
      grown.set(this.values);
      this.values = grown;
    }
    this.place(node, unit, created);
    this.edgeCount++;
    return created;
  }

  private place(node: number, unit: number, target: number): void {
    let slot = hash(node, unit) & this.mask;
    while (this.keyNode[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.keyNode[slot] = node;
    this.keyUnit[slot] = unit;
    this.child[slot] = target;
  }

  private growEdges(): void {
    const { keyNode, keyUnit, child } = this;
    const capacity = (this.mask + 1) * 2;
    this.keyNode = new Int32Array(capacity).fill(EMPTY);
    this.keyUnit = new Uint16Array(capacity);
    this.child = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let s = 0; s < keyNode.length; s++) {
      if (keyNode[s] !== EMPTY) this.place(keyNode[s]!, keyUnit[s]!, child[s]!);
    }
  }
}

function hash(node: number, unit: number): number {
  let h = Math.imul(node, 0x9e3779b1) ^ Math.imul(unit + 1, 0x85ebca77);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 13);
}
