// The honest yardstick the demos print beside the transformer: multinomial logistic regression on
// TF-IDF bag-of-words features, trained in plain TypeScript on the same split (CPU, float64).

export interface BagOfWordsOptions {
  /** Keep the most frequent words (by document frequency in the training set). */
  vocabSize?: number;
  epochs?: number;
  learningRate?: number;
  /** L2 penalty on the weights. */
  l2?: number;
  seed?: number;
}

export interface BagOfWordsModel {
  predict(text: string): number;
  accuracy(texts: readonly string[], labels: readonly number[]): number;
}

const WORD = /[a-z0-9']+/g;

function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

export function trainBagOfWords(texts: readonly string[], labels: readonly number[], numClasses: number, opts: BagOfWordsOptions = {}): BagOfWordsModel {
  const vocabSize = opts.vocabSize ?? 20_000;
  const epochs = opts.epochs ?? 8;
  const lr = opts.learningRate ?? 0.5;
  const l2 = opts.l2 ?? 1e-6;
  let seed = opts.seed ?? 1;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

  const df = new Map<string, number>();
  const docs = texts.map((t) => new Set(words(t)));
  for (const d of docs) for (const w of d) df.set(w, (df.get(w) ?? 0) + 1);
  const vocab = [...df.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, vocabSize);
  const index = new Map(vocab.map(([w], i) => [w, i]));
  const idf = Float64Array.from(vocab, ([, n]) => Math.log((1 + texts.length) / (1 + n)) + 1);

  /** Sparse L2-normalised TF-IDF vector. */
  const featurize = (text: string): [Int32Array, Float64Array] => {
    const counts = new Map<number, number>();
    for (const w of words(text)) {
      const i = index.get(w);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const idx = Int32Array.from(counts.keys());
    const val = Float64Array.from(idx, (i) => (1 + Math.log(counts.get(i)!)) * idf[i]);
    const norm = Math.hypot(...val) || 1;
    for (let k = 0; k < val.length; k++) val[k] /= norm;
    return [idx, val];
  };

  const V = vocab.length;
  const W = new Float64Array(numClasses * V);
  const b = new Float64Array(numClasses);
  const features = texts.map(featurize);
  const logits = new Float64Array(numClasses);
  const scores = (idx: Int32Array, val: Float64Array) => {
    for (let c = 0; c < numClasses; c++) {
      let s = b[c];
      for (let k = 0; k < idx.length; k++) s += W[c * V + idx[k]] * val[k];
      logits[c] = s;
    }
    return logits;
  };

  const order = texts.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const step = lr / (1 + epoch);
    for (const n of order) {
      const [idx, val] = features[n];
      const z = scores(idx, val);
      const max = Math.max(...z);
      let sum = 0;
      for (let c = 0; c < numClasses; c++) sum += (z[c] = Math.exp(z[c] - max));
      for (let c = 0; c < numClasses; c++) {
        const g = z[c] / sum - (c === labels[n] ? 1 : 0);
        b[c] -= step * g;
        for (let k = 0; k < idx.length; k++) {
          const w = c * V + idx[k];
          W[w] -= step * (g * val[k] + l2 * W[w]);
        }
      }
    }
  }

  const predict = (text: string) => {
    const z = scores(...featurize(text));
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (z[c] > z[best]) best = c;
    return best;
  };
  return {
    predict,
    accuracy: (xs, ys) => xs.reduce((acc, t, i) => acc + (predict(t) === ys[i] ? 1 : 0), 0) / Math.max(1, xs.length),
  };
}
