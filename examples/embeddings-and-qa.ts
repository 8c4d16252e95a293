// Seed 004 (the Hugging Face BERT notebook) on WebGPU: embeddings and extractive question answering.
// There are no pretrained weights here (no model hub), so this demo trains a small BERT for
// question answering on a SYNTHETIC task built from a shipped corpus (the Brown corpus by default;
// optionally after masked-LM pretraining on the same training documents, --mlm-steps):
// cloze questions ("Call me what?") whose answer is a word of the passage. It reports exact match
// and F1 on questions from documents it never trained on, then shows seed 004's two flows with
// that model: the embeddings of "I love Paris" (tokens, sequence output, [CLS] vector, every
// layer's hidden states) and answers to questions about raw paragraphs.
//
//   npm run demo:embeddings-qa
//   npm run demo:embeddings-qa -- --corpus moby-dick --steps 600
import {
  BertForQuestionAnswering, FeatureExtraction, LearningCurves, QuestionAnswering, bertConfig, copyBackboneWeights, loadBrown, loadMobyDick, loadStateOfTheUnion,
  trainTestSplit, type TextCorpus,
} from '../src/node.ts';
import { checkInteger, parseArgs } from './lib/cli.ts';
import { chanceExactMatch, clozeExamples, exactMatchF1 } from './lib/cloze-qa.ts';
import { pretrainMaskedLM, trainTokenizer } from './lib/mlm.ts';
import { DemoRun, percent, runDemo, timed } from './lib/report.ts';

const NAME = 'embeddings-and-qa';
const CORPORA: Record<string, () => TextCorpus> = { 'moby-dick': loadMobyDick, brown: loadBrown, sotu: loadStateOfTheUnion };
const { options: o } = parseArgs(
  'Usage: node --import ./scripts/register-ts.mjs examples/embeddings-and-qa.ts [options]\n' +
  'Trains a small BERT QA model on synthetic cloze questions from a shipped book, reports EM / F1, prints embeddings and answers questions.',
  {
    corpus: { value: 'brown', help: `source of the passages: ${Object.keys(CORPORA).join(', ')}` },
    out: { value: `out/${NAME}`, help: 'output directory' },
    seed: { value: 1, help: 'seed of the split, questions, initialisation and shuffling' },
    vocab: { value: 6000, help: 'WordPiece vocabulary size' },
    seqLen: { value: 64, help: 'tokens per row: [CLS] question [SEP] passage [SEP]' },
    batch: { value: 32, help: 'questions per step' },
    mlmSteps: { value: 0, help: 'masked-LM pretraining steps on the training documents before the QA training (0: QA from scratch)' },
    steps: { value: 1200, help: 'QA training steps' },
    stepsPerEpoch: { value: 200, help: 'steps per epoch (a validation pass after each)' },
    lr: { value: 2e-3, help: 'QA peak learning rate (warmup over 10% of the steps, then linear decay)' },
    dropout: { value: 0, help: 'dropout of the encoder (hidden and attention); 0 lets the attention learn exact matches' },
    testQuestions: { value: 500, help: 'held-out questions scored with exact match and F1' },
    passageChars: { value: 160, help: 'longest passage, in characters' },
    perPassage: { value: 8, help: 'questions per passage at most (one per sentence)' },
    questionWords: { value: 8, help: 'words of the sentence kept around the gap in a question' },
  },
  { vocab: 500, seqLen: 64, batch: 8, mlmSteps: 2, steps: 4, stepsPerEpoch: 2, testQuestions: 16 },
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
  const tokenizer = await timed(`WordPiece vocabulary of ${o.vocab} learnt from the training documents`, () => trainTokenizer(trainDocs, o.vocab));

  const model = new BertForQuestionAnswering(bertConfig('bert-tiny', { vocab: tokenizer, max_position_embeddings: o.seqLen, hidden_dropout_prob: o.dropout, attention_probs_dropout_prob: o.dropout }), { seed: o.seed });
  if (o.mlmSteps > 0) {
    // Seed 004 starts from a pretrained BERT; here the encoder can be pretrained on the training documents first.
    run.section('masked-LM pretraining on the training documents');
    const mlm = await pretrainMaskedLM({
      tokenizer, trainTexts: trainDocs, heldOutTexts: split.test, size: 'bert-tiny', steps: o.mlmSteps, stepsPerEpoch: o.mlmSteps,
      batchSize: o.batch, sequenceLength: o.seqLen, lr: 2.5e-3, seed: o.seed, heldOutRows: 256,
    });
    run.addPhase('masked-LM pretraining', mlm.history);
    console.log(`held-out masked-token accuracy ${percent(mlm.maskedAccuracy)} vs ${percent(mlm.baselineAccuracy)} for always '${mlm.baselineToken}'`);
    copyBackboneWeights(mlm.model, model);
    mlm.model.dispose();
  }
  run.section(`training BertForQuestionAnswering${o.mlmSteps > 0 ? ' from that encoder' : ' from scratch'}`);
  const qa = new QuestionAnswering({ model, tokenizer, sequenceLength: o.seqLen });
  console.log(`BertForQuestionAnswering bert-tiny (L-2_H-128_A-2), ${(model.parameterCount() / 1e6).toFixed(2)}M parameters; rows of ${o.seqLen} tokens, questions cut to ${qa.maxQuestionLength}`);
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

  run.section('embeddings (seed 004), from the trained encoder');
  const features = new FeatureExtraction({ model, tokenizer, sequenceLength: o.seqLen });
  const f = await features.predict('I love Paris', { hiddenStates: true });
  const head = (v: ArrayLike<number>) => `[${Array.from(v).slice(0, 5).map((x) => x.toFixed(4)).join(', ')}, ...]`;
  console.log(`tokens: ${JSON.stringify(f.tokens)}`);
  console.log(`token ids: ${JSON.stringify(f.ids)}`);
  console.log(`sequence output: shape [1, ${f.sequence.rows}, ${f.sequence.cols}]; token 1 (${JSON.stringify(f.tokens[1])}) starts ${head(f.sequence.row(1))}`);
  console.log(`[CLS] vector: shape [${f.cls.length}], ${head(f.cls)}`);
  console.log(f.pooled ? `pooled output: shape [${f.pooled.length}], ${head(f.pooled)}` : 'pooled output: none (a question-answering model has no pooler; BERT\'s pooled output exists for classifier checkpoints)');
  console.log(`mean over tokens: shape [${f.mean.length}], ${head(f.mean)}`);
  f.hiddenStates!.forEach((h, i) => console.log(`hidden state ${i} (${i === 0 ? 'embeddings' : `layer ${i}`}): shape [1, ${h.rows}, ${h.cols}], [CLS] starts ${head(h.row(0))}`));

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
    ['guessing a candidate word', `${percent(chance)} exact match`],
  ]);
}, () => {
  if (!(o.corpus in CORPORA)) throw new Error(`--corpus must be one of ${Object.keys(CORPORA).join(', ')}, got ${JSON.stringify(o.corpus)}`);
  checkInteger('mlmSteps', o.mlmSteps, 0);
  for (const k of ['vocab', 'seqLen', 'batch', 'steps', 'stepsPerEpoch', 'testQuestions', 'passageChars', 'perPassage', 'questionWords'] as const) checkInteger(k, o[k]);
});
