// The browser demo (npm run demo:browser): learns a vocabulary, trains a TextClassifier from scratch
// on the texts the server sends (/data.json), draws the learning curves as epochs end, reports
// held-out accuracy, then classifies what the user types. URL parameters: epochs, batch, seq, lr.
import {
  bertConfig, init, learningCurvesSvg, memory, TextClassifier, trainWordPieceVocab, WordPieceTokenizer,
  type Callback, type TrainProgress,
} from '../../src/browser.ts';

interface DemoData { source: string; classNames: string[]; train: { texts: string[]; labels: number[] }; test: { texts: string[]; labels: number[] } }
declare global { interface Window { demo?: { done: boolean; testAccuracy?: number; error?: string } } }

const $ = (id: string) => document.getElementById(id)!;
const params = new URLSearchParams(location.search);
const num = (name: string, fallback: number) => (params.has(name) ? Number(params.get(name)) : fallback);
const seconds = (ms: number | undefined) => (ms === undefined ? '?' : `${Math.round(ms / 1000)} s`);

function showProgress(p: TrainProgress): void {
  const bar = $('bar') as HTMLProgressElement;
  if (p.totalSteps) { bar.max = p.totalSteps; bar.value = p.globalStep; }
  const logs = Object.entries(p.logs).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ');
  $('status').textContent = `epoch ${p.epoch + 1}/${p.epochs}  step ${p.step}/${p.stepsPerEpoch ?? '?'}  ${logs}\n`
    + `${Math.round(p.tokensPerSecond)} tokens/s  ${p.examplesPerSecond.toFixed(1)} texts/s  ETA ${seconds(p.etaMs)} (this epoch)`;
}

async function main(): Promise<void> {
  window.demo = { done: false };
  const gpu = await init();
  $('adapter').textContent = `WebGPU adapter: ${gpu.adapter}`;
  const data = await (await fetch('data.json')).json() as DemoData;
  $('data').textContent = `${data.source}: ${data.train.texts.length} training and ${data.test.texts.length} held-out texts (${data.classNames.join(' / ')})`;

  const vocab = await trainWordPieceVocab(data.train.texts, { vocabSize: num('vocab', 4000), reservedTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] });
  const tokenizer = WordPieceTokenizer.fromVocab(vocab);
  const sequenceLength = num('seq', 64);
  // BERT-tiny's shape with two layers of width 64: minutes on a software adapter, seconds on a GPU.
  const config = bertConfig('bert-tiny', { vocab: tokenizer, hidden_size: num('hidden', 64), num_attention_heads: 2, intermediate_size: 4 * num('hidden', 64), max_position_embeddings: sequenceLength });
  const classifier = TextClassifier.create({ tokenizer, labels: data.classNames, config, sequenceLength, pooling: 'max', seed: 0 });

  const drawCurves: Callback = {
    onEpochEnd: (_epoch, _logs, ctx) => { $('curves').innerHTML = learningCurvesSvg(ctx.history, { title: 'BERT classifier', width: 720, height: 240 }); },
  };
  const history = await classifier.fit(data.train.texts, data.train.labels, {
    epochs: num('epochs', 3), batchSize: num('batch', 16), lr: num('lr', 1e-3), schedule: 'linear', logEvery: 5,
    validationData: data.test, callbacks: [drawCurves], onProgress: showProgress, verbose: false,
  });
  const test = await classifier.evaluate(data.test.texts, data.test.labels);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  $('result').innerHTML = `<p><b>Held-out accuracy ${(100 * test.accuracy).toFixed(1)}%</b> (loss ${test.loss.toFixed(3)}),
    ${Math.round(history.tokensPerSecond)} tokens/s, peak GPU memory ${mib(history.peakMemoryBytes)} MiB, ${memory().liveTensors} live tensors.</p>`;
  window.demo = { done: true, testAccuracy: test.accuracy };

  const input = $('input') as HTMLTextAreaElement;
  const classify = async () => {
    const c = await classifier.predict(input.value);
    $('scores').innerHTML = Object.entries(c.scores)
      .map(([name, p]) => `<tr><td>${name === c.label ? `<b>${name}</b>` : name}</td><td>${(100 * p).toFixed(1)}%</td></tr>`).join('');
  };
  input.disabled = false;
  input.addEventListener('input', () => void classify());
  await classify();
}

main().catch((e: Error) => {
  $('error').textContent = String(e.stack ?? e);
  window.demo = { done: true, error: String(e) };
});
