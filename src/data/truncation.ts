// How many tokens each segment keeps when their total must fit a budget.
//  'round_robin' (KerasNLP default, tf_text RoundRobinTrimmer): hand out one token per segment in turn.
//  'waterfall' (tf_text WaterfallTrimmer): earlier segments take all they can, later ones the rest.
//  'longest_first' (HF): remove one token at a time from the longest segment (the later one on ties).

export type TruncationStrategy = 'round_robin' | 'waterfall' | 'longest_first';

export function truncatedLengths(lengths: readonly number[], budget: number, strategy: TruncationStrategy): number[] {
  const total = lengths.reduce((a, b) => a + b, 0);
  if (total <= budget) return lengths.slice();
  const keep = Math.max(0, budget);
  if (strategy === 'waterfall') {
    let left = keep;
    return lengths.map((n) => {
      const k = Math.min(n, left);
      left -= k;
      return k;
    });
  }
  if (strategy === 'round_robin') {
    const out = lengths.map(() => 0);
    let left = keep;
    while (left > 0) {
      for (let i = 0; i < lengths.length && left > 0; i++) {
        if (out[i]! < lengths[i]!) {
          out[i]!++;
          left--;
        }
      }
    }
    return out;
  }
  if (strategy === 'longest_first') {
    const out = lengths.slice();
    for (let removed = total - keep; removed > 0; removed--) {
      let longest = 0;
      for (let i = 1; i < out.length; i++) if (out[i]! >= out[longest]!) longest = i;
      out[longest]!--;
    }
    return out;
  }
  throw new Error(`unknown truncation strategy ${String(strategy)}: expected 'round_robin', 'waterfall' or 'longest_first'`);
}
