// Seed 002 (KerasNLP's "Getting started") on WebGPU, with the preprocessing in the user's hands:
//   1. a WordPiece vocabulary trained on the corpus;
//   2. masked-LM pretraining with the flow KerasNLP spells out: tokenizer -> MultiSegmentPacker ->
//      MaskedLMMaskGenerator -> (features, labels, weights) batches -> fit() with the masked-LM head;
//   3. a tiny transformer trained from scratch to classify (seed 002's: one encoder layer, hidden
//      64, 2 heads, intermediate 128, classifying from the first token);
//   4. the pretrained preset fine-tuned as a classifier, as seed 002 fine-tunes
//      BertClassifier.from_preset('bert_tiny_en_uncased', num_classes), beside a majority-class
//      and a bag-of-words yardstick;
//   5. predict on raw strings with the preprocessing inside the model (TextClassifier.predict).
// Data: the Brown corpus's 500 documents and their 15 genres, cut into passages of ~90 words that
// keep their document's genre; documents (not passages) are split 80/20, so no document has
// passages on both sides. `--data <dir>` takes a class-folder directory instead.
//
//   npm run demo:kerasnlp
import {
  BertForMaskedLM, Dataset, LearningCurves, MultiSegmentPacker, TextClassifier, bertConfig, evaluate, fit, loadBrown, maskedLM, textDatasetFromDirectory,
  trainTestSplit, type MaskedLMHostBatch,
} from '../src/node.ts';
import { trainBagOfWords } from './lib/bag-of-words.ts';
import { checkInteger, parseArgs } from './lib/cli.ts';
import { checkDirectory } from './lib/data.ts';
import { baselineAccuracy, maskGenerator, mostFrequentToken, packWindows, tokenWindows, trainTokenizer } from './lib/mlm.ts';
import { describeStart, PRESET } from './lib/preset.ts';
import { DemoRun, percent, ratio, runDemo, timed } from './lib/report.ts';

const NAME = 'kerasnlp-workflows';
const { options: o } = parseArgs(
  'Usage: node --import ./scripts/register-ts.mjs examples/kerasnlp-workflows.ts [options]\n' +
  'WordPiece vocabulary, masked-LM pretraining with an explicit packer and mask generator, a tiny transformer classifier from scratch, raw-string predictions.',
  {
    data: { value: '', help: 'a class-folder directory instead of the Brown corpus (documents split 80/20, then cut into passages)' },
    out: { value: `out/${NAME}`, help: 'output directory' },
    seed: { value: 1, help: 'seed of the split, initialisation, shuffling and masking' },
    vocab: { value: 8000, help: 'WordPiece vocabulary size' },
    words: { value: 90, help: 'words per passage' },
    seqLen: { value: 128, help: 'tokens per sequence' },
    batch: { value: 32, help: 'sequences per step' },
    mlmSteps: { value: 200, help: 'masked-LM pretraining steps' },
    mlmLr: { value: 2.5e-3, help: 'masked-LM peak learning rate' },
    epochs: { value: 3, help: 'classifier epochs' },
    lr: { value: 2e-3, help: 'peak learning rate of the classifier from scratch' },
    from: { value: PRESET, help: 'the pretrained BERT fine-tuned in step 4: a preset, Hub repo id, directory or URL' },
    ftEpochs: { value: 3, help: 'fine-tuning epochs of the pretrained classifier' },
    ftLr: { value: 1e-3, help: 'fine-tuning peak learning rate (warmup 10%, then linear decay)' },
    limit: { value: 0, help: 'use at most this many documents; 0 = all' },
    perDocument: { value: 0, help: 'passages per document at most; 0 = all' },
  },
  { vocab: 600, seqLen: 32, words: 20, batch: 8, mlmSteps: 3, epochs: 1, ftEpochs: 1, limit: 20, perDocument: 4 },
);

await runDemo(async () => {
  const run = new DemoRun(NAME, o.out, o);

  run.section('data: documents split 80/20, then cut into passages');
  let docs: { text: string; label: number }[] = [];
  let classNames: string[];
  if (o.data) {
    const d = textDatasetFromDirectory(o.data, { skip: ['unsup'], seed: o.seed });
    classNames = d.classNames;
    const texts = await d.texts.toArray();
    docs = texts.map((text, i) => ({ text, label: d.labels[i] }));
  } else {
    const brown = loadBrown();
    classNames = brown.classNames;
    for await (const ex of brown.examples) docs.push({ text: ex.text, label: ex.label! });
  }
  if (o.limit) docs = trainTestSplit(docs, { testFraction: 0, seed: o.seed }).train.slice(0, o.limit);
  const split = trainTestSplit(docs, { testFraction: 0.2, seed: o.seed });
  const passages = (set: typeof docs) => set.flatMap(({ text, label }) => {
    const words = text.split(/\s+/).filter(Boolean);
    const out: { text: string; label: number }[] = [];
    for (let at = 0; at + o.words / 2 <= words.length && (!o.perDocument || out.length < o.perDocument); at += o.words) out.push({ text: words.slice(at, at + o.words).join(' '), label });
    return out;
  });
  const train = passages(split.train);
  const test = passages(split.test);
  console.log(`${o.data || 'Brown corpus'}: ${docs.length} documents in ${classNames.length} classes; ${split.train.length} training documents -> ${train.length} passages, ` +
    `${split.test.length} test documents -> ${test.length} passages of <= ${o.words} words`);

  run.section('1. a WordPiece vocabulary trained on the corpus');
  const tokenizer = await timed(`WordPiece vocabulary of ${o.vocab}`, () => trainTokenizer(train.map((p) => p.text), o.vocab));
  const sample = train[0].text.split(' ').slice(0, 8).join(' ');
  console.log(`${JSON.stringify(sample)} -> ${JSON.stringify(tokenizer.encode(sample).tokens)}`);

  run.section('2. masked-LM pretraining: tokenizer -> packer -> mask generator -> fit');
  const packer = new MultiSegmentPacker({ sequenceLength: o.seqLen, startValue: tokenizer.clsId, endValue: tokenizer.sepId, padValue: tokenizer.padId });
  const masker = maskGenerator(tokenizer, o.seqLen, o.seed); // 15% of the tokens, 80% [MASK] / 10% random / 10% kept
  const trainIds = train.map((p) => tokenizer.encode(p.text).ids);
  const batches = Math.floor(trainIds.length / o.batch);
  // A re-iterable dataset that masks afresh every pass (dynamic masking), as a tf.data map() would.
  const pretrainData = Dataset.from(function* (): Generator<MaskedLMHostBatch> {
    for (let b = 0; b < batches; b++) {
      const packed = packer.packBatch(trainIds.slice(b * o.batch, (b + 1) * o.batch).map((ids) => [ids]));
      yield { ...packed, masks: masker.generate(packed.tokenIds, o.seqLen) };
    }
  }, batches);
  const heldOut = packWindows(tokenizer, tokenWindows(tokenizer, test.map((p) => p.text), o.seqLen - 2), o.batch, o.seqLen, o.seed).slice(0, Math.max(1, Math.floor(512 / o.batch)));
  const heldOutMasker = maskGenerator(tokenizer, o.seqLen, o.seed + 1);
  for (const b of heldOut) b.masks = heldOutMasker.generate(b.tokenIds, o.seqLen);
  const mlm = new BertForMaskedLM(bertConfig('bert-tiny', { vocab: tokenizer, max_position_embeddings: o.seqLen }), { seed: o.seed });
  console.log(`BertForMaskedLM bert-tiny, ${(mlm.parameterCount() / 1e6).toFixed(2)}M parameters; ${batches} batches of ${o.batch} x ${o.seqLen} per pass`);
  const task = maskedLM({ tokenizer, sequenceLength: o.seqLen, seed: o.seed });
  const mlmHistory = await fit(mlm, pretrainData, {
    task, steps: o.mlmSteps, stepsPerEpoch: Math.min(o.mlmSteps, Math.ceil(o.mlmSteps / 2)), lr: o.mlmLr, schedule: 'linear', seed: o.seed, validationData: heldOut,
    callbacks: [new LearningCurves(run.path('mlm-curves.svg'), { title: 'Masked-LM pretraining' })],
  });
  run.addPhase('masked-LM pretraining', mlmHistory);
  const masked = (await evaluate(mlm, heldOut, { task })).accuracy;
  const top = mostFrequentToken(tokenWindows(tokenizer, train.map((p) => p.text), o.seqLen - 2), tokenizer.vocabSize);
  const base = baselineAccuracy(heldOut, top);
  console.log(`held-out masked-token accuracy ${percent(masked)} vs ${percent(base)} for always '${tokenizer.idToToken(top)}' (${ratio(masked, base)})`);
  mlm.dispose();

  run.section('3. a tiny transformer trained from scratch to classify');
  const config = bertConfig('L-1_H-64_A-2', { vocab: tokenizer, intermediate_size: 128, max_position_embeddings: o.seqLen });
  const classifier = TextClassifier.create({ tokenizer, labels: classNames, config, sequenceLength: o.seqLen, seed: o.seed });
  console.log(`one encoder layer, hidden 64, 2 heads, intermediate 128: ${(classifier.model.parameterCount() / 1e6).toFixed(2)}M parameters (most in the token embeddings)`);
  const history = await classifier.fit(train.map((p) => p.text), train.map((p) => p.label), {
    epochs: o.epochs, batchSize: o.batch, lr: o.lr, schedule: 'linear', seed: o.seed,
    validationData: { texts: test.map((p) => p.text), labels: test.map((p) => p.label) },
    callbacks: [new LearningCurves(run.path('classifier-curves.svg'), { title: 'Tiny transformer from scratch' })],
  });
  run.addPhase('classifier from scratch', history);
  const scratchAccuracy = history.last!.val_accuracy;
  classifier.dispose();

  run.section('4. the pretrained preset fine-tuned as a classifier');
  console.log(describeStart(o.from, o.seed, o.data));
  const finetuned = await TextClassifier.fromPretrained(o.from, { labels: classNames, sequenceLength: o.seqLen, seed: o.seed });
  const ftHistory = await finetuned.fit(train.map((p) => p.text), train.map((p) => p.label), {
    epochs: o.ftEpochs, batchSize: o.batch, lr: o.ftLr, schedule: 'linear', warmup: 0.1, seed: o.seed,
    validationData: { texts: test.map((p) => p.text), labels: test.map((p) => p.label) },
    callbacks: [new LearningCurves(run.path('finetune-curves.svg'), { title: 'Preset fine-tuned' })],
  });
  run.addPhase('preset fine-tuned', ftHistory);
  const accuracy = ftHistory.last!.val_accuracy;
  const counts = classNames.map((_, c) => train.filter((p) => p.label === c).length);
  const majority = counts.indexOf(Math.max(...counts));
  const majorityAccuracy = test.filter((p) => p.label === majority).length / test.length;
  const bow = await timed('bag-of-words logistic regression trained', () => trainBagOfWords(train.map((p) => p.text), train.map((p) => p.label), classNames.length, { seed: o.seed }));
  const bowAccuracy = bow.accuracy(test.map((p) => p.text), test.map((p) => p.label));
  console.log(`test passages: fine-tuned preset ${percent(accuracy)}, tiny transformer from scratch ${percent(scratchAccuracy)}, bag-of-words ${percent(bowAccuracy)}, always '${classNames[majority]}' ${percent(majorityAccuracy)}`);

  run.section('5. raw strings in, labels out (preprocessing inside the model)');
  const strings = o.data ? test.slice(0, 3).map((p) => p.text.slice(0, 120)) : [
    'The senator told reporters on Tuesday that the committee would vote on the tax bill next week.',
    'The rate of the reaction increases with the temperature of the solution, as the measurements in Table 2 show.',
    'She looked into his eyes and whispered that she would wait for him, no matter how long the war lasted.',
    'The sheriff drew his gun and the stranger rode slowly out of town toward the hills.',
  ];
  const predictions = await finetuned.predict(strings);
  strings.forEach((s, i) => {
    const best = Object.entries(predictions[i].scores).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
    console.log(`  ${JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s)}\n    -> ${best}`);
  });
  finetuned.dispose();

  Object.assign(run.results, {
    maskedAccuracy: masked, baselineAccuracy: base, testAccuracy: accuracy, scratchTestAccuracy: scratchAccuracy, bagOfWordsAccuracy: bowAccuracy, majorityAccuracy,
    trainPassages: train.length, testPassages: test.length,
  });
  await run.finish([
    ['masked-token accuracy (held out)', `${percent(masked)} vs ${percent(base)} always '${tokenizer.idToToken(top)}' (${ratio(masked, base)})`],
    ['fine-tuned preset, test passages', `${percent(accuracy)} (${classNames.length} classes, ${test.length} passages of ${split.test.length} unseen documents; target >= bag-of-words: ${accuracy >= bowAccuracy ? 'met' : 'NOT met'})`],
    ['tiny transformer from scratch', `${percent(scratchAccuracy)}`],
    ['yardsticks', `bag-of-words ${percent(bowAccuracy)}, majority class ${percent(majorityAccuracy)}`],
  ]);
}, () => {
  for (const k of ['vocab', 'words', 'seqLen', 'batch', 'mlmSteps', 'epochs', 'ftEpochs'] as const) checkInteger(k, o[k]);
  checkInteger('limit', o.limit, 0);
  checkInteger('perDocument', o.perDocument, 0);
  if (o.data) checkDirectory(o.data);
});
