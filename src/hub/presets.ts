// The library's own pretrained models. They ship in the npm package (presets/<name>/, the Hugging
// Face layout) and load by name without a network, as KerasNLP's from_preset does:
//   await FillMask.fromPretrained('webgpu-bert/bert-tiny-shipped-corpora')
// A preset name is also a valid Hub repo id; the packaged copy is the one loaded.

export interface Preset {
  /** The name fromPretrained takes. */
  name: string;
  /** Its folder under presets/. */
  folder: string;
  description: string;
}

export const PRESETS: readonly Preset[] = [
  {
    name: 'webgpu-bert/bert-tiny-shipped-corpora',
    folder: 'bert-tiny-shipped-corpora',
    description: 'BERT-tiny (L-2_H-128_A-2, uncased WordPiece vocabulary of 8000) pretrained with masked-LM by this library on Brown, SpamAssassin, Moby-Dick and the State of the Union addresses, with the demos\' test splits left out; float16 weights',
  },
];

/** The preset called `name`, or undefined. */
export function presetNamed(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
