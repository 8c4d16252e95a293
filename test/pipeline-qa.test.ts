// QuestionAnswering on raw strings: trained on generated "... is <answer> ..." contexts, it
// returns the exact substring of the original context (accents, case, punctuation and runs of
// spaces kept), finds answers in later windows of long contexts, and reloads to identical answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BertForQuestionAnswering, QuestionAnswering, loadPipeline, windowStarts, type Answer } from '../src/node.ts';
import { gpu } from './util/gpu.ts';
import { FILLER, qaData, testTokenizer, tinyConfig } from './util/train-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'wgb-qa-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tokenizer = testTokenizer();
let qa: QuestionAnswering;

beforeAll(async () => {
  await gpu();
  const model = new BertForQuestionAnswering(tinyConfig(tokenizer.vocabSize, { max_position_embeddings: 32 }), { seed: 1 });
  qa = new QuestionAnswering({ model, tokenizer, sequenceLength: 32 });
  await qa.fit(qaData(192, 1), { epochs: 6, batchSize: 16, lr: 3e-3, schedule: 'linear', verbose: false });
});

describe('QuestionAnswering', () => {
  it('answers held-out questions exactly after training', async () => {
    const val = qaData(48, 2);
    const logs = await qa.evaluate(val);
    expect(logs.accuracy).toBeGreaterThanOrEqual(0.95);
    const answers = await qa.predict(val, { batchSize: 7 });
    const exact = answers.filter((a, i) => a.answer === val[i].answer.text && a.start === val[i].answer.start).length;
    expect(exact / val.length).toBeGreaterThanOrEqual(0.95);
    for (const a of answers) expect(a.score).toBeGreaterThan(0);
  });

  it('maps the span back to the exact substring of the original context', async () => {
    const cases: [string, string][] = [
      ['The   old Tree   is  CAFÉ ! the dog', 'CAFÉ'],
      ['my  dog, the river is   Hot    Coffee ,  really', 'Hot    Coffee'],
      ['Near the ROAD is Paris. the city', 'Paris'],
      ['a cat is Çafé-Music !', 'Çafé-Music'], // three tokens (cafe - music) back to one substring
    ];
    for (const [context, expected] of cases) {
      const a = await qa.answer('what is it ?', context);
      expect(a.answer, context).toBe(expected);
      expect(context.slice(a.start, a.end)).toBe(expected);
      expect(a.window).toBe(0);
    }
  });

  it('reads a long context in overlapping windows and takes the best span of any window', async () => {
    const filler = Array.from({ length: 70 }, (_, i) => FILLER[(i * 7) % FILLER.length]).join(' ');
    const context = `${filler} is red tea . near the city`;
    // 4 question tokens: windows of 32 - 4 - 3 = 25 context tokens; the default stride is 12.
    const n = tokenizer.encode(context).length;
    expect(windowStarts(n, 25, 12)).toHaveLength(Math.ceil((n - 25) / 13) + 1);
    const a = await qa.answer('what is it ?', context);
    expect(a.answer).toBe('red tea');
    expect(a.start).toBe(context.indexOf('red tea'));
    expect(a.window).toBeGreaterThanOrEqual(4);
    // The same answer whatever the overlap, as long as one window holds it whole.
    const strided = new QuestionAnswering({ model: qa.model, tokenizer, sequenceLength: 32, docStride: 3 });
    expect((await strided.answer('what is it ?', context)).answer).toBe('red tea');
  });

  it('handles empty and odd inputs without failing', async () => {
    const [empty, emoji, question] = await qa.predict([
      { question: 'what is it ?', context: '' },
      { question: '🙂🙂', context: 'the dog is 🙂 tea .' },
      { question: 'what is it ? '.repeat(40), context: 'the dog is hot tea .' },
    ]);
    expect(empty).toEqual<Answer>({ answer: '', score: 0, start: -1, end: -1, window: -1, tokenStart: -1, tokenEnd: -1 });
    expect(emoji.answer.endsWith('tea')).toBe(true); // the emoji is [UNK]: the model may take it in
    expect('the dog is 🙂 tea .'.slice(emoji.start, emoji.end)).toBe(emoji.answer);
    expect(question.answer).toBe('hot tea'); // the question is cut to maxQuestionLength (16 here) tokens
    expect(qa.maxQuestionLength).toBe(16);
  });

  it('saves and reloads to identical answers', async () => {
    const dir = join(root, 'qa');
    await qa.save(dir);
    const again = await loadPipeline(dir);
    expect(again).toBeInstanceOf(QuestionAnswering);
    const inputs = qaData(12, 3);
    expect(await (again as QuestionAnswering).predict(inputs)).toEqual(await qa.predict(inputs));
    expect((again as QuestionAnswering).sequenceLength).toBe(32);
    again.dispose();
  });

  it('gives clear errors', async () => {
    await expect(qa.fit([{ question: 'q', context: 'the dog', answer: { text: 'cat' } }], { verbose: false })).rejects.toThrow(
      'question-answering task: example 0\'s answer "cat" does not occur in its context',
    );
    await expect(qa.fit([], {})).rejects.toThrow('QuestionAnswering.fit: no examples');
    const tight = new QuestionAnswering({ model: qa.model, tokenizer, sequenceLength: 8, maxQuestionLength: 6 });
    await expect(tight.answer('what is it ? really ?', 'the dog')).rejects.toThrow("example 0's question keeps 6 tokens, which leaves no room for the context in 8 tokens");
    expect(() => new QuestionAnswering({ model: qa.model, tokenizer, sequenceLength: 64 })).toThrow(
      'QuestionAnswering: sequenceLength must be an integer in [3, max_position_embeddings = 32], got 64',
    );
  });
});
