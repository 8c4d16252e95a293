// The demos start from the library's preset, as the seeds start from bert_tiny_en_uncased or
// bert-base-uncased. The preset left out each demo's default test split (seed 1); another seed
// draws a test set part of which the preset was pretrained on.
import { PRESETS } from '../../src/node.ts';

export const PRESET = PRESETS[0].name;

/** What a demo prints about its starting point. */
export function describeStart(from: string, seed: number, data: string): string {
  if (from !== PRESET) return `starting from ${from}`;
  const overlap = seed !== 1 && !data
    ? ` NOTE: --seed ${seed} draws another test split than the one the preset left out (seed 1), so the preset has seen part of this test set.`
    : '';
  return `starting from the preset ${PRESET} (presets/${PRESETS[0].folder}/README.md: pretrained by this library on the shipped corpora, this demo's test split left out).${overlap}`;
}
