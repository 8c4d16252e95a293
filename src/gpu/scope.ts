// Scopes return a step's intermediates to the pool, like tfjs's tidy(): every tensor created
// inside is disposed at the end unless it is returned or kept.
import type { Tensor } from './tensor.ts';

export class Scopes {
  private stack: Set<Tensor>[] = [];

  track(t: Tensor): void {
    this.stack[this.stack.length - 1]?.add(t);
  }

  untrack(t: Tensor): void {
    this.stack[this.stack.length - 1]?.delete(t);
  }

  /** Removes a tensor from every open scope, so no scope end disposes it. */
  keep<T extends Tensor>(t: T): T {
    for (const s of this.stack) s.delete(t);
    return t;
  }

  begin(): void {
    this.stack.push(new Set());
  }

  /** Ends the innermost scope: disposes its tensors except those in `result`, which move to the parent scope. */
  end(result?: unknown): void {
    const scope = this.stack.pop();
    if (!scope) throw new Error('endScope() without a matching beginScope()');
    const survivors = new Set<Tensor>();
    collectTensors(result, survivors, 0);
    for (const t of scope) {
      if (survivors.has(t)) this.track(t);
      else t.dispose();
    }
  }

  get depth(): number {
    return this.stack.length;
  }
}

function collectTensors(x: unknown, out: Set<Tensor>, depth: number): void {
  if (x === null || typeof x !== 'object' || depth > 8) return;
  if (isTensor(x)) {
    out.add(x);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collectTensors(v, out, depth + 1);
  else if (x instanceof Map) for (const v of x.values()) collectTensors(v, out, depth + 1);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collectTensors(v, out, depth + 1);
}

function isTensor(x: object): x is Tensor {
  return 'storage' in x && 'shape' in x && 'dtype' in x && typeof (x as Tensor).dispose === 'function';
}
