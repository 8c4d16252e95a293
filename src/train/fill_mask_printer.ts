// Seed 000's MaskedTextGenerator: after every epoch, the top-k predictions for a sentence with a
// [MASK], with their probabilities, so pretraining progress is visible as words.
import type { WordPieceTokenizer } from '../data/wordpiece-tokenizer.ts';
import { BertForMaskedLM } from '../nn/masked_lm.ts';
import { FillMask, type FillMaskCandidate } from '../pipelines/fill_mask.ts';
import type { Callback, TrainContext } from './callbacks.ts';

export interface FillMaskPrinterOptions {
  tokenizer: WordPieceTokenizer;
  /** A sentence with one [MASK]. Default seed 000's "I have watched this [MASK] and it was awesome." */
  text?: string;
  /** Candidates shown. Default 5. */
  topK?: number;
  /** Where lines go. Default console.log. */
  print?: (line: string) => void;
}

export class FillMaskPrinter implements Callback {
  readonly text: string;
  readonly topK: number;
  /** Every epoch's candidates, in order. */
  readonly results: { epoch: number; candidates: FillMaskCandidate[] }[] = [];
  private readonly print: (line: string) => void;

  constructor(private readonly options: FillMaskPrinterOptions) {
    if (!options?.tokenizer) throw new Error('FillMaskPrinter: needs { tokenizer }');
    this.text = options.text ?? 'I have watched this [MASK] and it was awesome.';
    this.topK = options.topK ?? 5;
    this.print = options.print ?? ((line) => console.log(line));
    const masks = options.tokenizer.encode(this.text).ids.filter((id) => id === options.tokenizer.maskId).length;
    if (masks !== 1) throw new Error(`FillMaskPrinter: the text must have exactly one ${options.tokenizer.names.maskToken}, found ${masks}: ${JSON.stringify(this.text)}`);
  }

  onTrainBegin(ctx: TrainContext): void {
    if (!(ctx.model instanceof BertForMaskedLM)) throw new Error(`FillMaskPrinter: needs a BertForMaskedLM, got ${ctx.model.architecture}`);
  }

  async onEpochEnd(epoch: number, _logs: unknown, ctx: TrainContext): Promise<void> {
    // A view of the model being trained (not disposed here: the model belongs to fit's caller).
    const fill = new FillMask({ model: ctx.model as BertForMaskedLM, tokenizer: this.options.tokenizer });
    const candidates = await fill.predict(this.text, { topK: this.topK });
    this.results.push({ epoch, candidates });
    for (const line of formatFillMask(epoch, this.text, candidates)) this.print(line);
  }
}

/** The printed block: a header line, then one line per candidate (rank, token, probability, sentence). */
export function formatFillMask(epoch: number, text: string, candidates: readonly FillMaskCandidate[]): string[] {
  const width = Math.max(8, ...candidates.map((c) => c.token.length));
  return [
    `Epoch ${epoch + 1} fill-mask: ${text}`,
    ...candidates.map((c, i) => `  ${i + 1}. ${c.token.padEnd(width)} ${c.score.toFixed(4)}  ${c.sequence}`),
  ];
}
