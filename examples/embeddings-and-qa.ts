// Seed 004 (the Hugging Face BERT notebook) on WebGPU: embeddings and extractive question answering,
// starting from the library's pretrained preset as seed 004 starts from bert-base-uncased:
//   1. the embeddings of "I love Paris" from the pretrained model (tokens, sequence output, [CLS]
//      vector, every layer's hidden states) and its fill-mask guesses;
//   2. there is no SQuAD here, so the preset is fine-tuned for question answering on a SYNTHETIC
//      task built from a shipped corpus (Brown by default): cloze questions ("Call me what?") whose
//      answer is a word of the passage, scored with exact match and F1 on documents it never saw;
//   3. answers to questions about raw paragraphs from the saved and reloaded QA pipeline.
//
//   npm run demo:embeddings-qa
//   npm run demo:embeddings-qa -- --corpus moby-dick --steps 600
import {
  BertForQuestionAnswering, FeatureExtraction, FillMask, LearningCurves, QuestionAnswering, copyBackboneWeights, loadBrown, loadMobyDick, loadStateOfTheUnion,
  trainTestSplit, type TextCorpus,
} from '../src/node.ts';
import { checkInteger, parseArgs } from './lib/cli.ts';
import { chanceExactMatch, clozeExamples, exactMatchF1 } from './lib/cloze-qa.ts';
import { describeStart, PRESET } from './lib/preset.ts';
import { DemoRun, percent, runDemo } from './lib/report.ts';

const NAME = 'embeddings-and-qa';
const CORPORA: Record<string, () => TextCorpus> = { 'moby-dick': loadMobyDick, brown: loadBrown, sotu: loadStateOfTheUnion };
const { options: o } = parseArgs(
  'Usage: node --import ./scripts/register-ts.mjs examples/embeddings-and-qa.ts [options]\n' +
  'Prints the pretrained preset\'s embeddings, fine-tunes it for QA on synthetic cloze questions from a shipped corpus, reports EM / F1 and answers questions.',
  {
    corpus: { value: 'brown', help: `source of the passages: ${Object.keys(CORPORA).join(', ')}` },
    out: { value: `out/${NAME}`, help: 'output directory' },
    seed: { value: 1, help: 'seed of the split, questions, initialisation and shuffling' },
    from: { value: PRESET, help: 'the pretrained BERT to start from: a preset, Hub repo id, directory or URL' },
    seqLen: { value: 64, help: 'tokens per row: [CLS] question [SEP] passage [SEP]' },
    batch: { value: 32, help: 'questions per step' },
    steps: { value: 1200, help: 'QA training steps' },
    stepsPerEpoch: { value: 200, help: 'steps per epoch (a validation pass after each)' },
    lr: { value: 2e-3, help: 'QA peak learning rate (warmup over 10% of the steps, then linear decay)' },
    dropout: { value: 0, help: 'dropout of the encoder (hidden and attention); 0 lets the attention learn exact matches' },
    testQuestions: { value: 500, help: 'held-out questions scored with exact match and F1' },
    passageChars: { value: 160, help: 'longest passage, in characters' },
    perPassage: { value: 8, help: 'questions per passage at most (one per sentence)' },
    questionWords: { value: 8, help: 'words of the sentence kept around the gap in a question' },
  },
  { seqLen: 64, batch: 8, steps: 4, stepsPerEpoch: 2, testQuestions: 16 },
);

await runDemo(async () => {
  const run = new DemoRun(NAME, o.out, o);

  run.section('a synthetic question-answering task from real text');
  const corpus = CORPORA[o.corpus]();
  const docs: string[] = [];
  for await (const ex of corpus.examples) docs.push(ex.text);
  const split = trainTestSplit(docs, { testFraction: 0.15, seed: o.seed });
  const trainDocs = o.smoke ? split.train.slice(0, 12) : split.train;
  const train = clozeExamples(trainDocs, { seed: o.seed, passageChars: o.passageChars, perPassage: o.perPassage, questionWords: o.questionWords });
  const test = clozeExamples(split.test, { seed: o.seed + 1, passageChars: o.passageChars, questionWords: o.questionWords }).slice(0, o.testQuestions);
  console.log(`${corpus.name}: ${docs.length} documents, split by document: ${trainDocs.length} for training (${train.length} questions), ${split.test.length} held out (${test.length} questions scored)`);
  console.log('THE QA MODEL IS TRAINED ON THIS SYNTHETIC CLOZE TASK, NOT ON SQuAD: it answers "what"-questions that restate a sentence of the passage. Two training examples:');
  for (const ex of train.slice(0, 2)) console.log(`  question: ${JSON.stringify(ex.question)}\n  answer:   ${JSON.stringify(ex.answer.text)} at character ${ex.answer.start} of a ${ex.context.length}-character passage`);

  run.section('embeddings (seed 004) and fill-mask, from the pretrained model');
  console.log(describeStart(o.from, o.seed, ''));
  const start = await FillMask.fromPretrained(o.from);
  const { tokenizer } = start;
  const features = new FeatureExtraction({ model: start.model, tokenizer, sequenceLength: o.seqLen });
  const f = await features.predict('I love Paris', { hiddenStates: true });
  const head = (v: ArrayLike<number>) => `[${Array.from(v).slice(0, 5).map((x) => x.toFixed(4)).join(', ')}, ...]`;
  console.log(`tokens: ${JSON.stringify(f.tokens)}`);
  console.log(`token ids: ${JSON.stringify(f.ids)}`);
  console.log(`sequence output: shape [1, ${f.sequence.rows}, ${f.sequence.cols}]; token 1 (${JSON.stringify(f.tokens[1])}) starts ${head(f.sequence.row(1))}`);
  console.log(`[CLS] vector: shape [${f.cls.length}], ${head(f.cls)}`);
  console.log(f.pooled ? `pooled output: shape [${f.pooled.length}], ${head(f.pooled)}` : 'pooled output: none (a masked-LM checkpoint has no pooler; BERT\'s pooled output exists for classifier checkpoints)');
  console.log(`mean over tokens: shape [${f.mean.length}], ${head(f.mean)}`);
  f.hiddenStates!.forEach((h, i) => console.log(`hidden state ${i} (${i === 0 ? 'embeddings' : `layer ${i}`}): shape [1, ${h.rows}, ${h.cols}], [CLS] starts ${head(h.row(0))}`));
  for (const text of ['i love [MASK].', 'the ship sailed across the [MASK].']) {
    console.log(`fill-mask ${JSON.stringify(text)}: ${(await start.predict(text)).slice(0, 5).map((c) => `${c.token} ${c.score.toFixed(3)}`).join(', ')}`);
  }
  const model = new BertForQuestionAnswering({ ...start.model.config, hidden_dropout_prob: o.dropout, attention_probs_dropout_prob: o.dropout }, { seed: o.seed });
  copyBackboneWeights(start.model, model);
  start.dispose();

  run.section('fine-tuning BertForQuestionAnswering on the synthetic task');
  const qa = new QuestionAnswering({ model, tokenizer, sequenceLength: o.seqLen });
  const c = model.config;
  console.log(`BertForQuestionAnswering (L-${c.num_hidden_layers}_H-${c.hidden_size}_A-${c.num_attention_heads}, the pretrained encoder and a new span head), ${(model.parameterCount() / 1e6).toFixed(2)}M parameters; rows of ${o.seqLen} tokens, questions cut to ${qa.maxQuestionLength}`);
  const history = await qa.fit(train, {
    steps: o.steps, stepsPerEpoch: Math.min(o.stepsPerEpoch, o.steps), batchSize: o.batch, lr: o.lr, schedule: 'linear', seed: o.seed,
    validationData: test.slice(0, 128), callbacks: [new LearningCurves(run.path('curves.svg'), { title: 'Cloze QA training' })],
  });
  run.addPhase('QA training', history);

  run.section('exact match and F1 on held-out documents');
  const answers = await qa.predict(test.map(({ question, context }) => ({ question, context })));
  let em = 0;
  let f1 = 0;
  answers.forEach((a, i) => {
    const s = exactMatchF1(a.answer, test[i].answer.text);
    em += s.em;
    f1 += s.f1;
  });
  em /= test.length;
  f1 /= test.length;
  const chance = chanceExactMatch(test);
  console.log(`exact match ${percent(em)}, F1 ${percent(f1)} over ${test.length} questions from ${split.test.length} held-out documents ` +
    `(guessing one of the passage's candidate words: ${percent(chance)} exact match)`);
  for (const i of [0, 1, 2]) {
    if (!test[i]) break;
    console.log(`  Q: ${test[i].question}\n     model: ${JSON.stringify(answers[i].answer)} (score ${answers[i].score.toFixed(3)}), reference: ${JSON.stringify(test[i].answer.text)}`);
  }
  await qa.save(run.path('qa'));
  console.log(`saved the QA pipeline to ${run.path('qa')}/`);

  run.section('questions about raw paragraphs (the reloaded pipeline)');
  const reloaded = await QuestionAnswering.load(run.path('qa'));
  const paragraphs: { context: string; question: string }[] = [
    { context: 'The ship left Nantucket on a cold Christmas morning. Her captain was a grim old man who had lost a leg to a white whale, and the crew feared him.', question: 'Her captain was a grim old man who had lost a what to a white whale?' },
    { context: 'Paris is the capital of France. The city stands on the river Seine, and its cathedral took nearly two centuries to build.', question: 'The city stands on the river what?' },
    { context: 'Queequeg was a native of an island far away to the west and south. He carried a harpoon wherever he went, even to breakfast.', question: 'He carried a what wherever he went?' },
    ...test.slice(3, 5).map(({ context, question }) => ({ context, question })),
  ];
  const replies = await reloaded.predict(paragraphs);
  paragraphs.forEach((p, i) => console.log(`  context: ${JSON.stringify(p.context.length > 110 ? `${p.context.slice(0, 107)}...` : p.context)}\n  Q: ${p.question}\n  A: ${JSON.stringify(replies[i].answer)} (score ${replies[i].score.toFixed(3)})`));
  reloaded.dispose();
  qa.dispose();

  Object.assign(run.results, { exactMatch: em, f1, chanceExactMatch: chance, testQuestions: test.length, trainQuestions: train.length, corpus: corpus.name, task: 'synthetic cloze questions (examples/lib/cloze-qa.ts)' });
  await run.finish([
    ['QA exact match / F1', `${percent(em)} / ${percent(f1)} on ${test.length} held-out synthetic cloze questions (${corpus.name}; trained on this synthetic task only)`],
    ['guessing a candidate word', `${percent(chance)} exact match (target: exact match >= 2x guessing: ${em >= 2 * chance ? 'met' : 'NOT met'})`],
  ]);
}, () => {
  if (!(o.corpus in CORPORA)) throw new Error(`--corpus must be one of ${Object.keys(CORPORA).join(', ')}, got ${JSON.stringify(o.corpus)}`);
  for (const k of ['seqLen', 'batch', 'steps', 'stepsPerEpoch', 'testQuestions', 'passageChars', 'perPassage', 'questionWords'] as const) checkInteger(k, o[k]);
});
