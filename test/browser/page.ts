// Runs inside Chromium: the browser bundle's public API end to end, reporting back through window.
// First the engine (a broadcasting product, an exp and a row sum), then the whole stack a page
// would use: a WordPiece vocabulary learned in the page, a TextClassifier (BERT, autograd, AdamW,
// the training loop with its onProgress callback instead of a terminal bar), predictions on raw
// strings, and a save/load round trip through toFiles() / fromFiles() (no file system here).
import { bertConfig, init, memory, ops, tensor, TextClassifier, tidy, trainWordPieceVocab, WordPieceTokenizer, type TrainProgress } from '../../src/browser.ts';

declare global {
  interface Window { result?: unknown; error?: string }
}

// A learnable task: sentences about food are 'food', about weather are 'weather'.
const FOOD = ['the soup was hot and tasty', 'we ate bread with cheese', 'she cooked rice and beans', 'the cake tastes sweet', 'he likes apples and pears', 'dinner was pasta with sauce'];
const WEATHER = ['the rain fell all night', 'it is sunny and warm today', 'a cold wind blew from the north', 'snow covered the hills', 'clouds brought a storm', 'the fog lifted by noon'];

async function engineCheck(): Promise<number[]> {
  const sums = tidy(() => ops.sum(ops.exp(ops.mul(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([0.5, -1, 2]))), { axis: 1 }));
  return Array.from(await sums.data());
}

async function trainClassifier() {
  const texts = [...FOOD, ...WEATHER];
  const labels = [...FOOD.map(() => 'food'), ...WEATHER.map(() => 'weather')];
  const vocab = await trainWordPieceVocab(texts, { vocabSize: 200, reservedTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] });
  const tokenizer = WordPieceTokenizer.fromVocab(vocab);
  const config = bertConfig('bert-tiny', { vocab: tokenizer, hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, num_hidden_layers: 1, max_position_embeddings: 32 });
  const classifier = TextClassifier.create({ tokenizer, labels: ['food', 'weather'], config, sequenceLength: 16, seed: 1 });
  const progress: TrainProgress[] = [];
  const history = await classifier.fit(texts, labels, { epochs: 30, batchSize: 4, lr: 3e-3, logEvery: 3, onProgress: (p) => progress.push(p) });
  const unseen = ['we ate cheese and apples', 'a storm with rain and wind'];
  const predicted = await classifier.predict(unseen);
  const reloaded = TextClassifier.fromFiles(await classifier.toFiles());
  const again = await reloaded.predict(unseen);
  const train = await classifier.evaluate(texts, labels);
  return {
    losses: history.epochs.map((e) => e.logs.loss),
    trainAccuracy: train.accuracy,
    progressCalls: progress.length,
    lastProgress: progress.at(-1)!.phase,
    predicted: predicted.map((p) => p.label),
    scores: predicted.map((p) => p.score),
    reloadedScores: again.map((p) => p.score),
  };
}

try {
  const gpu = await init();
  window.result = { adapter: gpu.adapter, sums: await engineCheck(), classifier: await trainClassifier(), memory: memory() };
} catch (e) {
  window.error = String((e as Error).stack ?? e);
}
