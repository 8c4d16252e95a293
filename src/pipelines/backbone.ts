// Warm starts: a new task model takes the encoder weights of a trained one (an MLM-pretrained
// backbone under a fresh classifier head, seed 000's flow), copied on the GPU.
import { copyInto } from '../kernels/fill.ts';
import type { BertBackbone } from '../nn/bert.ts';
import type { BertPretrained } from '../nn/pretrained.ts';

/** The backbone of a model: `model.bert` for task models, the model itself for BertModel. */
export function backboneOf(model: BertPretrained): BertBackbone {
  return (model.basePrefix ? (model as unknown as { bert: BertBackbone }).bert : model) as BertBackbone;
}

export interface CopyReport {
  /** Backbone parameters copied. */
  copied: string[];
  /** Backbone parameters of the target that the source lacks (e.g. the pooler of an MLM model): left as they were. */
  missing: string[];
}

/** Copies every backbone parameter the two models share (same name and shape) from `from` into `to`. */
export function copyBackboneWeights(from: BertPretrained, to: BertPretrained): CopyReport {
  const source = new Map(backboneOf(from).namedParameters());
  const report: CopyReport = { copied: [], missing: [] };
  const plan: [Parameters<typeof copyInto>[0], Parameters<typeof copyInto>[1]][] = [];
  for (const [name, p] of backboneOf(to).namedParameters()) {
    const s = source.get(name);
    if (!s) {
      report.missing.push(name);
      continue;
    }
    if (s.shape.length !== p.shape.length || s.shape.some((d, i) => d !== p.shape[i])) {
      throw new Error(`copyBackboneWeights: '${name}' is [${s.shape.join(', ')}] in the source but [${p.shape.join(', ')}] in the target (different configs?)`);
    }
    plan.push([s.value, p.value]);
    report.copied.push(name);
  }
  if (!plan.length) throw new Error('copyBackboneWeights: the models share no backbone parameter');
  for (const [s, t] of plan) copyInto(s, t);
  return report;
}
