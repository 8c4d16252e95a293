// Seed 003 (TensorFlow's "Classify text with BERT") on WebGPU: fine-tune a pretrained BERT as a
// text classifier with AdamW, linear warmup over the first 10% of the steps and linear decay to 0,
// validating on a seeded 20% of the training texts; plot the learning curves (SVG); evaluate on
// the test set; save the end-to-end model (tokenizer inside), reload it, and print the scores of a
// few sentences from both the reloaded and the in-memory model (they must be identical).
// The pretrained encoder is the library's preset (webgpu-bert/bert-tiny-shipped-corpora, made by
// `npm run pretrain:preset`), or any BERT by name, directory or URL (--pretrained).
//
//   npm run demo:classify
//   npm run demo:classify -- --data ~/aclImdb --limit 4000
import { LearningCurves, TextClassifier } from '../src/node.ts';
import { trainBagOfWords } from './lib/bag-of-words.ts';
import { checkInteger, parseArgs } from './lib/cli.ts';
import { checkDirectory, describeCounts, loadClassificationData, splitOff } from './lib/data.ts';
import { describeStart, PRESET } from './lib/preset.ts';
import { DemoRun, percent, runDemo, timed } from './lib/report.ts';

const NAME = 'classify-with-warmup';
const { options: o } = parseArgs(
  'Usage: node --import ./scripts/register-ts.mjs examples/classify-with-warmup.ts [options]\n' +
  'Fine-tunes a pretrained BERT classifier with AdamW and linear warmup + decay, plots the curves, saves, reloads and compares.',
  {
    data: { value: '', help: 'a class-folder directory (aclImdb/ or aclImdb/train layout) instead of SpamAssassin' },
    limit: { value: 0, help: 'use at most this many training texts (and a quarter as many test texts); 0 = all' },
    pretrained: { value: PRESET, help: 'the pretrained BERT to fine-tune: a preset, Hub repo id, directory (e.g. out/mlm-then-classify/pretrained) or URL' },
    out: { value: `out/${NAME}`, help: 'output directory' },
    seed: { value: 1, help: 'seed of the splits, initialisation and shuffling' },
    seqLen: { value: 128, help: 'tokens per sequence, [CLS] and [SEP] included' },
    batch: { value: 32, help: 'sequences per step' },
    epochs: { value: 2, help: 'fine-tuning epochs' },
    lr: { value: 5e-4, help: 'peak learning rate (seed 003 uses 3e-5 for BERT-base; a tiny encoder wants more)' },
    warmup: { value: 0.1, help: 'fraction of the steps spent warming up' },
  },
  { limit: 120, seqLen: 32, batch: 8, epochs: 2 },
);

await runDemo(async () => {
  const run = new DemoRun(NAME, o.out, o);

  run.section('data');
  const data = await timed('loaded', () => loadClassificationData({ data: o.data || undefined, seed: o.seed, limit: o.limit }));
  const { train, validation } = splitOff(data.train, 0.2, o.seed + 10);
  console.log(`${data.source}: ${train.texts.length} training texts (${describeCounts(train, data.classNames)}), ${validation.texts.length} validation texts ` +
    `(a seeded 20% of the training split), ${data.test.texts.length} test texts from ${data.testSplit}`);

  run.section('pretrained encoder');
  console.log(describeStart(o.pretrained, o.seed, o.data));
  const classifier = await TextClassifier.fromPretrained(o.pretrained, { labels: data.classNames, sequenceLength: o.seqLen, seed: o.seed });
  const c = classifier.model.config;
  console.log(`BertClassifier on its encoder (L-${c.num_hidden_layers}_H-${c.hidden_size}_A-${c.num_attention_heads}, vocabulary ${classifier.tokenizer.vocabSize}, sequences of ${classifier.sequenceLength} tokens)`);

  run.section('fine-tuning: AdamW, linear warmup then linear decay');
  const steps = o.epochs * Math.ceil(train.texts.length / o.batch);
  console.log(`BertClassifier (pooled [CLS] -> dropout -> dense), ${steps} steps: lr rises to ${o.lr} over ${Math.ceil(o.warmup * steps)} steps, then falls linearly to 0`);
  const history = await classifier.fit(train.texts, train.labels, {
    epochs: o.epochs, batchSize: o.batch, lr: o.lr, schedule: 'linear', warmup: o.warmup, seed: o.seed,
    validationData: validation, callbacks: [new LearningCurves(run.path('curves.svg'), { title: 'Fine-tuning' })],
  });
  run.addPhase('fine-tuning', history);
  console.log(`learning curves (training and validation loss and accuracy per epoch): ${run.path('curves.svg')}`);
  for (const e of history.epochs) {
    console.log(`  epoch ${e.epoch + 1}: loss ${e.logs.loss.toFixed(4)}, accuracy ${percent(e.logs.accuracy)}, val_loss ${e.logs.val_loss.toFixed(4)}, val_accuracy ${percent(e.logs.val_accuracy)}, lr at the end ${e.lr.toExponential(2)}`);
  }
  const test = await classifier.evaluate(data.test.texts, data.test.labels, { batchSize: o.batch });
  console.log(`test: loss ${test.loss.toFixed(4)}, accuracy ${percent(test.accuracy)}`);
  const bow = await timed('bag-of-words yardstick (TF-IDF logistic regression, same training texts) trained', () => trainBagOfWords(train.texts, train.labels, data.classNames.length, { seed: o.seed }));
  const bowAccuracy = bow.accuracy(data.test.texts, data.test.labels);
  console.log(`bag-of-words test accuracy ${percent(bowAccuracy)}`);

  run.section('save, reload, compare');
  await classifier.save(run.path('classifier'));
  const reloaded = await TextClassifier.load(run.path('classifier'));
  console.log(`saved to ${run.path('classifier')}/ and reloaded`);
  const examples = o.data
    ? ['this is such an amazing movie!', 'The movie was great!', 'The movie was meh.', 'The movie was okish.', 'The movie was terrible...']
    : [
      'Hi all, can someone send me the minutes of yesterday\'s meeting? I missed the part about the release schedule. Thanks, Anna',
      'URGENT: your account has been suspended. Verify your password and credit card details here within 24 hours to avoid closure.',
      'I pushed a fix for the mailing list archive script; the cron job runs at midnight. Let me know if the index still looks wrong.',
      'Earn $5000 a week from home! No experience needed, no selling. Reply now with your name and address to get started.',
      'Are we still on for lunch at noon on Friday? I can book a table near the office if you like.',
        ];
  const fromSaved = await reloaded.predict(examples);
  const inMemory = await classifier.predict(examples);
  let identical = true;
  const score = (p: (typeof inMemory)[number]) => data.classNames.map((c) => `${c} ${p.scores[c].toFixed(6)}`).join(', ');
  examples.forEach((text, i) => {
    const same = data.classNames.every((c) => fromSaved[i].scores[c] === inMemory[i].scores[c]);
    identical &&= same;
    console.log(`input: ${JSON.stringify(text)}`);
    console.log(`  reloaded:  ${fromSaved[i].label.padEnd(6)} ${score(fromSaved[i])}`);
    console.log(`  in memory: ${inMemory[i].label.padEnd(6)} ${score(inMemory[i])}${same ? '' : '   <- DIFFERENT'}`);
  });
  console.log(identical ? 'the reloaded model gives bit-identical scores' : 'the reloaded model DIFFERS from the one in memory');
  reloaded.dispose();
  classifier.dispose();

  Object.assign(run.results, { testAccuracy: test.accuracy, bagOfWordsAccuracy: bowAccuracy, testLoss: test.loss, validationAccuracy: history.last!.val_accuracy, identical, source: data.source });
  await run.finish([
    ['test accuracy', `${percent(test.accuracy)} (${data.test.texts.length} texts, ${data.testSplit}; target >= bag-of-words: ${test.accuracy >= bowAccuracy ? 'met' : 'NOT met'})`],
    ['bag-of-words baseline', `${percent(bowAccuracy)} (TF-IDF logistic regression, same training texts)`],
    ['validation accuracy', `${percent(history.last!.val_accuracy)} after ${history.epochs.length} epochs`],
    ['reloaded vs in memory', identical ? 'identical scores' : 'DIFFERENT scores'],
  ]);
  if (!identical) throw new Error('the saved-and-reloaded classifier does not reproduce the in-memory one');
}, () => {
  for (const k of ['seqLen', 'batch', 'epochs'] as const) checkInteger(k, o[k]);
  checkInteger('limit', o.limit, 0);
  if (!(o.warmup >= 0 && o.warmup < 1)) throw new Error(`--warmup must be in [0, 1), got ${o.warmup}`);
  if (o.data) checkDirectory(o.data);
});
