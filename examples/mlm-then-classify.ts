// Seed 000 (Keras' "End-to-end Masked Language Modeling with BERT") on WebGPU, end to end:
//   1. the library's pretrained preset (its WordPiece vocabulary and masked-LM model), or with
//      `--from scratch` a vocabulary learnt from the training split and a new model;
//   2. masked-LM training on the training split (dynamic masking, AdamW, warmup + linear decay),
//      printing the top-5 fill-mask candidates for a sentence after every epoch;
//   3. a classifier on that encoder (seed 000's head: max over the tokens, dense + ReLU), trained
//      with the encoder frozen, then unfrozen at a lower learning rate;
//   4. held-out evaluation beside a bag-of-words logistic regression trained on the same split;
//   5. the end-to-end model (tokenizer inside) saved, reloaded, and run on raw strings.
// Defaults: SpamAssassin ham vs spam (shipped), minutes on a 2-core machine through software
// Vulkan. `--data <dir>` takes a class-folder directory (aclImdb) instead.
//
//   npm run demo                                   (= node --import ./scripts/register-ts.mjs examples/mlm-then-classify.ts)
//   npm run demo -- --data ~/aclImdb --limit 5000 --fill-mask "I have watched this [MASK] and it was awesome."
import {
  FillMask, History, LearningCurves, TextClassifier, learningCurvesSvg, writeFileAtomic,
} from '../src/node.ts';
import { trainBagOfWords } from './lib/bag-of-words.ts';
import { checkInteger, parseArgs } from './lib/cli.ts';
import { checkDirectory, describeCounts, loadClassificationData } from './lib/data.ts';
import { pretrainMaskedLM, trainTokenizer } from './lib/mlm.ts';
import { describeStart, PRESET } from './lib/preset.ts';
import { DemoRun, percent, runDemo, timed } from './lib/report.ts';

const NAME = 'mlm-then-classify';
const { options: o } = parseArgs(
  'Usage: node --import ./scripts/register-ts.mjs examples/mlm-then-classify.ts [options]\n' +
  'Trains a small BERT with masked-LM (from the preset, or from scratch), fine-tunes it as a classifier (frozen, then unfrozen), saves, reloads and classifies raw strings.',
  {
    data: { value: '', help: 'a class-folder directory (aclImdb/ or aclImdb/train layout) instead of SpamAssassin' },
    limit: { value: 0, help: 'use at most this many training texts (and a quarter as many test texts); 0 = all' },
    out: { value: `out/${NAME}`, help: 'output directory (curves, checkpoints, summary.json)' },
    seed: { value: 1, help: 'seed of the split, initialisation, shuffling and masking' },
    from: { value: PRESET, help: "the masked-LM model to start from (a preset, Hub repo id, directory or URL), or 'scratch'" },
    vocab: { value: 8000, help: 'WordPiece vocabulary size (--from scratch)' },
    size: { value: 'bert-tiny', help: "model size (--from scratch): 'bert-tiny' (L-2_H-128_A-2), 'bert-mini', 'L-4_H-256_A-4', ..." },
    seqLen: { value: 128, help: 'tokens per sequence, [CLS] and [SEP] included' },
    batch: { value: 32, help: 'sequences per step' },
    steps: { value: 200, help: 'masked-LM steps (from scratch, 400 or more)' },
    stepsPerEpoch: { value: 100, help: 'masked-LM steps per epoch (a fill-mask sample after each)' },
    mlmLr: { value: 5e-4, help: 'masked-LM peak learning rate (from scratch, 2.5e-3)' },
    frozenEpochs: { value: 1, help: 'classifier epochs with the encoder frozen' },
    frozenLr: { value: 1e-2, help: 'peak learning rate with the encoder frozen (only the head trains: it takes a high rate)' },
    epochs: { value: 2, help: 'classifier epochs with the encoder unfrozen' },
    lr: { value: 5e-4, help: 'peak learning rate with the encoder unfrozen' },
    fillMask: { value: '', help: 'sentence with one [MASK] printed after every pretraining epoch (default: one that fits the data)' },
  },
  { vocab: 600, seqLen: 32, batch: 8, steps: 4, stepsPerEpoch: 2, limit: 120, frozenEpochs: 1, epochs: 1 },
);

await runDemo(async () => {
  const run = new DemoRun(NAME, o.out, o);

  run.section('data');
  const data = await timed('loaded', () => loadClassificationData({ data: o.data || undefined, seed: o.seed, limit: o.limit }));
  console.log(`${data.source}: ${data.train.texts.length} training texts (${describeCounts(data.train, data.classNames)}), ` +
    `${data.test.texts.length} test texts from ${data.testSplit} (${describeCounts(data.test, data.classNames)})`);
  let start: FillMask | undefined;
  if (o.from === 'scratch') console.log('starting from scratch: a new vocabulary and a new model');
  else {
    console.log(describeStart(o.from, o.seed, o.data));
    start = await FillMask.fromPretrained(o.from);
  }
  const tokenizer = start?.tokenizer ?? await timed(`WordPiece vocabulary of ${o.vocab} learnt from the training texts`, () => trainTokenizer(data.train.texts, o.vocab));

  run.section(`1. masked-LM training ${start ? 'of the pretrained model' : 'from scratch'} on the training texts`);
  const fillMask = o.fillMask || (o.data ? 'I have watched this [MASK] and it was awesome.' : 'Click here to [MASK] your free account today.');
  const mlm = await pretrainMaskedLM({
    tokenizer, trainTexts: data.train.texts, heldOutTexts: data.test.texts, size: o.size, model: start?.model, steps: o.steps, stepsPerEpoch: o.stepsPerEpoch,
    batchSize: o.batch, sequenceLength: o.seqLen, lr: o.mlmLr, seed: o.seed, curves: run.path('mlm-curves.svg'), fillMask,
  });
  run.addPhase('masked-LM pretraining', mlm.history);
  const ratio = mlm.maskedAccuracy / mlm.baselineAccuracy;
  console.log(`held-out masked-token accuracy ${percent(mlm.maskedAccuracy)} vs ${percent(mlm.baselineAccuracy)} for always '${mlm.baselineToken}' (${ratio.toFixed(2)}x) over ${mlm.heldOutMasks} masks`);
  // The pretrained encoder as a Hugging Face directory (+ tokenizer and pipeline.json): examples/classify-with-warmup.ts starts from it.
  const pretrained = new FillMask({ model: mlm.model, tokenizer, sequenceLength: o.seqLen });
  await pretrained.save(run.path('pretrained'));
  console.log(`saved the pretrained model to ${run.path('pretrained')}/`);

  run.section('2. classifier: encoder frozen, then unfrozen');
  const classifier = TextClassifier.create({
    tokenizer, labels: data.classNames, backbone: mlm.model, sequenceLength: o.seqLen, pooling: 'max', hiddenSize: 64, seed: o.seed,
  });
  mlm.model.dispose();
  const history = new History();
  const validationData = { texts: data.test.texts, labels: data.test.labels }; // seed 000 validates on its test set
  const common = { batchSize: o.batch, seed: o.seed, schedule: 'linear' as const, validationData };
  if (o.frozenEpochs > 0) {
    classifier.model.bert.trainable = false;
    const frozen = await classifier.fit(data.train.texts, data.train.labels, { ...common, epochs: o.frozenEpochs, lr: o.frozenLr });
    run.addPhase('classifier, encoder frozen', frozen);
    console.log(`encoder frozen: test accuracy ${percent(frozen.last!.val_accuracy)}`);
    history.extend(frozen);
  }
  classifier.model.bert.trainable = true;
  const curves = new LearningCurves(run.path('classifier-curves.svg'), { title: 'Classifier (frozen, then unfrozen)' });
  const unfrozen = await classifier.fit(data.train.texts, data.train.labels, { ...common, epochs: o.epochs, lr: o.lr, callbacks: [curves] });
  run.addPhase('classifier, encoder unfrozen', unfrozen);
  history.extend(unfrozen);
  await writeFileAtomic(run.path('classifier-curves.svg'), learningCurvesSvg(history, { title: 'Classifier: encoder frozen, then unfrozen' }));
  const accuracy = unfrozen.last!.val_accuracy;
  console.log(`encoder unfrozen: test accuracy ${percent(accuracy)}; learning curves in ${run.path('classifier-curves.svg')}`);

  run.section('3. bag-of-words yardstick (TF-IDF logistic regression, same split, CPU)');
  const bow = await timed('trained', () => trainBagOfWords(data.train.texts, data.train.labels, data.classNames.length, { seed: o.seed }));
  const bowAccuracy = bow.accuracy(data.test.texts, data.test.labels);
  console.log(`bag-of-words test accuracy ${percent(bowAccuracy)}`);

  run.section('4. save the end-to-end model, reload it, classify raw strings');
  await classifier.save(run.path('classifier'));
  const reloaded = await TextClassifier.load(run.path('classifier'));
  const reloadedAccuracy = (await reloaded.evaluate(data.test.texts, data.test.labels, { batchSize: o.batch })).accuracy;
  console.log(`saved to ${run.path('classifier')}/ and reloaded: test accuracy ${percent(reloadedAccuracy)} (before saving ${percent(accuracy)})`);
  const samples = o.data
    ? data.test.texts.slice(0, 4).map((t) => t.slice(0, 160))
    : [
      'Hi Tom, are we still on for lunch on Thursday? I can bring the draft of the report.',
      'CONGRATULATIONS! You have been selected to receive a FREE vacation. Click here now to claim your prize!!!',
      'The patch fixes the build on Red Hat 7.3; please run the test suite again before the release.',
      'Lose 30 pounds in 30 days with our all natural pills, no prescription needed. Order today!',
    ];
  const predictions = await reloaded.predict(samples);
  samples.forEach((text, i) => {
    const p = predictions[i];
    const scores = Object.entries(p.scores).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
    console.log(`  ${p.label.padEnd(6)} (${scores})  ${JSON.stringify(text.length > 90 ? `${text.slice(0, 87)}...` : text)}`);
  });
  reloaded.dispose();
  classifier.dispose();

  Object.assign(run.results, {
    maskedAccuracy: mlm.maskedAccuracy, baselineAccuracy: mlm.baselineAccuracy, baselineToken: mlm.baselineToken, ratio,
    testAccuracy: accuracy, reloadedTestAccuracy: reloadedAccuracy, bagOfWordsAccuracy: bowAccuracy,
    trainTexts: data.train.texts.length, testTexts: data.test.texts.length, source: data.source,
  });
  await run.finish([
    ['masked-token accuracy (held out)', `${percent(mlm.maskedAccuracy)} vs ${percent(mlm.baselineAccuracy)} always '${mlm.baselineToken}': ${ratio.toFixed(2)}x (bar >= 2x: ${ratio >= 2 ? 'met' : 'NOT met'})`],
    ['classifier test accuracy', `${percent(accuracy)} (target >= the bag-of-words baseline: ${accuracy >= bowAccuracy ? 'met' : 'NOT met'}; ${data.test.texts.length} texts, ${data.testSplit})`],
    ['bag-of-words baseline', `${percent(bowAccuracy)} (TF-IDF logistic regression, same split)`],
    ['reloaded model', `${percent(reloadedAccuracy)} test accuracy`],
  ]);
}, () => {
  for (const k of ['vocab', 'seqLen', 'batch', 'steps', 'stepsPerEpoch', 'frozenEpochs', 'epochs'] as const) checkInteger(k, o[k], k === 'frozenEpochs' ? 0 : 1);
  checkInteger('limit', o.limit, 0);
  if (o.data) checkDirectory(o.data);
});
