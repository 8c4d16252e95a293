// The models' static fromPretrained(): the loader lives in src/hub (which imports src/io, which
// imports these models), so it registers itself here instead of being imported: no import cycle.
import type { FromPretrainedOptions } from '../hub/pretrained.ts';
import type { BertArchitecture, BertPretrained } from './pretrained.ts';

type Loader = (nameOrPathOrUrl: string, options: FromPretrainedOptions) => Promise<BertPretrained>;
let loader: Loader | null = null;

export function setPretrainedLoader(l: Loader): void {
  loader = l;
}

/** Loads `nameOrPathOrUrl` as `architecture` (a Hub repo id, a directory or a URL). */
export function loadPretrained<M extends BertPretrained>(nameOrPathOrUrl: string, options: FromPretrainedOptions, architecture: BertArchitecture): Promise<M> {
  if (!loader) throw new Error('fromPretrained: import the library from its entry (webgpu-bert), which registers the loader');
  return loader(nameOrPathOrUrl, { architecture, ...options }) as Promise<M>;
}
