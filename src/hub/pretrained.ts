// fromPretrained: the files of a model by name (Hub repo id), directory or URL, then the model or
// pipeline built from them. On the Hub each file is looked up with a HEAD (Node: the commit and
// ETag the Hub sends), taken from the cache when it is there, else downloaded with progress and
// stored in the cache; offline, only the cache is used.
import type { ComputeDType } from '../nn/compute-dtype.ts';
import { modelFromCheckpoint, type LoadOptions } from '../io/checkpoint.ts';
import { SAFETENSORS_INDEX, shardNames } from '../io/sharded.ts';
import { setPretrainedLoader } from '../nn/from-pretrained.ts';
import type { BertPretrained } from '../nn/pretrained.ts';
import { weightsFromFiles, type PipelineFiles } from '../pipelines/files.ts';
import { parseJsonFile } from '../util/json.ts';
import { isCommitHash, normalizeEtag, type HubCache } from './cache.ts';
import { download, head, httpError, isMissingEntry, type DownloadProgress } from './download.ts';
import { presetNamed, type Preset } from './presets.ts';
import { DEFAULT_ENDPOINT, HubError, hubFileUrl, modelSource, sourceName, type ModelSource } from './source.ts';

export interface HubOptions {
  /** The Hub or a mirror. Default: HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Branch, tag or commit; overrides `repo@revision`. Default 'main'. */
  revision?: string;
  /** For private and gated repos. Default: HF_TOKEN. */
  token?: string;
  /** Use only the cache (no network). Default: HF_HUB_OFFLINE=1. */
  offline?: boolean;
  /** Node: the cache directory. Default: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Called as each file downloads (browsers; Node also draws a progress bar unless `progress: false`). */
  onProgress?: (p: DownloadProgress) => void;
  /** Node: draw download progress bars on stderr. Default true. */
  progress?: boolean;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export type FromPretrainedOptions = HubOptions & LoadOptions & {
  /** Print nothing about missing or unused weights (by default they go to console.warn). */
  quiet?: boolean;
};

/** What the platform entry (node.ts, browser.ts) provides. */
export interface HubPlatform {
  env(name: string): string | undefined;
  isDirectory(path: string): boolean;
  /** A file of a local directory, or null when it does not exist. */
  readFile(dir: string, name: string): Promise<Uint8Array | null>;
  exists(dir: string, name: string): Promise<boolean>;
  cache(cacheDir: string | undefined): HubCache | null;
  /** HEAD with `redirect: 'manual'` shows the Hub's own headers (Node; a browser's redirects are opaque). */
  readsRedirects: boolean;
  /** A progress display for one download, or null. */
  progressBar(file: string, total: number | undefined): { update(loaded: number): void; finish(): void } | null;
  /** Where the package's presets/<folder> is: a directory (Node) or a URL (browsers), or null. */
  presetLocation(folder: string): ModelSource | null;
}

let platform: HubPlatform = {
  env: () => undefined,
  isDirectory: () => false,
  readFile: () => Promise.reject(new HubError('fromPretrained: local directories need Node')),
  exists: async () => false,
  cache: () => null,
  readsRedirects: false,
  progressBar: () => null,
  presetLocation: () => null,
};

export function setHubPlatform(p: HubPlatform): void {
  platform = p;
}

const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'pipeline.json'];
const PICKLES = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack'];

/** Reads one file of a source: bytes, or null when an optional file does not exist. */
type Getter = (file: string, optional: boolean) => Promise<Uint8Array | null>;

/** The files of a model (and, with `tokenizer`, its tokenizer and pipeline settings), by name, directory or URL. */
export async function pretrainedFiles(nameOrPathOrUrl: string, options: HubOptions = {}, what: { tokenizer: boolean } = { tokenizer: true }): Promise<{ files: PipelineFiles; name: string }> {
  const preset = presetNamed(nameOrPathOrUrl);
  const source = preset ? presetSource(preset) : modelSource(nameOrPathOrUrl, platform.isDirectory);
  if (source.kind === 'hub' && options.revision) source.revision = options.revision;
  const name = preset ? `${preset.name} (preset in ${sourceName(source)})` : sourceName(source);
  const get = getter(source, options, name);
  const files: PipelineFiles = {};
  const put = (file: string, bytes: Uint8Array | null) => {
    if (bytes) files[file] = bytes;
    return bytes;
  };

  const config = put('config.json', await get('config.json', false))!;
  const modelType = (parseJsonFile(new TextDecoder().decode(config), `${name}: config.json`) as { model_type?: unknown })?.model_type;
  if (modelType !== undefined && modelType !== 'bert') {
    throw new HubError(`${name}: config.json has model_type '${String(modelType)}'; webgpu-bert loads BERT checkpoints only (model_type 'bert')`);
  }
  if (!put('model.safetensors', await get('model.safetensors', true))) {
    const index = put(SAFETENSORS_INDEX, await get(SAFETENSORS_INDEX, true));
    if (!index) {
      const pickles: string[] = [];
      for (const f of PICKLES) if (await get(f, true).then((b) => b !== null, () => false)) pickles.push(f);
      throw new HubError(`${name}: no model.safetensors (or ${SAFETENSORS_INDEX})${pickles.length ? `, only ${pickles.join(', ')}. Pickle files are not loaded: unpickling runs arbitrary code, and they hold torch/TF objects, not plain tensors. Convert the checkpoint to safetensors (transformers: model.save_pretrained(dir, safe_serialization=True))` : ''}`);
    }
    for (const shard of shardNames(new TextDecoder().decode(index))) put(shard, await get(shard, false));
  }
  if (what.tokenizer) for (const f of TOKENIZER_FILES) put(f, await get(f, true));
  return { files, name };
}

function presetSource(preset: Preset): ModelSource {
  const location = platform.presetLocation(preset.folder);
  if (!location) throw new HubError(`fromPretrained: the preset ${preset.name} ships in the webgpu-bert package's presets/${preset.folder} folder, which cannot be found from here; pass that folder's path or URL instead`);
  return location;
}

// PICKLES are only probed for existence, never downloaded or read.
function getter(source: ModelSource, options: HubOptions, name: string): Getter {
  const fetchOptions = { token: options.token ?? platform.env('HF_TOKEN'), fetch: options.fetch };
  const progress = (file: string) => {
    let bar: ReturnType<HubPlatform['progressBar']> | undefined;
    return {
      onProgress: (p: DownloadProgress) => {
        options.onProgress?.(p);
        if (options.progress === false) return;
        bar ??= platform.progressBar(`${name}: ${file}`, p.total);
        bar?.update(p.loaded);
      },
      finish: () => bar?.finish(),
    };
  };
  const fetchFile = async (url: string, file: string) => {
    const p = progress(file);
    const bytes = await download(url, { ...fetchOptions, label: `${name}: ${file}`, file, onProgress: p.onProgress });
    p.finish();
    return bytes;
  };
  const probe = async (url: string, file: string) => {
    const res = await head(url, `${name}: ${file}`, fetchOptions);
    return res.ok || (res.status >= 300 && res.status < 400) || res.type === 'opaqueredirect';
  };

  if (source.kind === 'directory') {
    return async (file, optional) => {
      if (PICKLES.includes(file)) return (await platform.exists(source.path, file)) ? new Uint8Array(0) : null;
      const bytes = await platform.readFile(source.path, file);
      if (!bytes && !optional) throw new HubError(`${name}: ${file} does not exist in the directory`);
      return bytes;
    };
  }
  if (source.kind === 'url') {
    return async (file, optional) => {
      const url = `${source.base}/${file}`;
      if (PICKLES.includes(file)) return (await probe(url, file)) ? new Uint8Array(0) : null;
      try {
        return await fetchFile(url, file);
      } catch (e) {
        if (optional && e instanceof HubError && /file not found \(HTTP 404\)/.test(e.message)) return null;
        throw e;
      }
    };
  }
  return hubGetter(source, options, name, { fetchFile, probe, fetchOptions });
}

function hubGetter(
  source: Extract<ModelSource, { kind: 'hub' }>,
  options: HubOptions,
  name: string,
  io: { fetchFile: (url: string, file: string) => Promise<Uint8Array>; probe: (url: string, file: string) => Promise<boolean>; fetchOptions: { token?: string; fetch?: typeof fetch } },
): Getter {
  const { repo, revision } = source;
  const endpoint = options.endpoint ?? platform.env('HF_ENDPOINT') ?? DEFAULT_ENDPOINT;
  const envOffline = platform.env('HF_HUB_OFFLINE');
  const offline = options.offline ?? (envOffline !== undefined && !['', '0', 'false', 'no', 'off'].includes(envOffline.toLowerCase()));
  const cache = platform.cache(options.cacheDir);
  let commit: string | null = null;

  const fromCache = async (file: string, optional: boolean, why: string): Promise<Uint8Array | null> => {
    commit ??= cache ? await cache.commitOf(repo, revision) : null;
    const where = cache ? cache.location : 'no cache on this platform';
    if (!commit) throw new HubError(`${name}: ${why}, and ${repo}@${revision} is not in the cache (${where}); connect once to download it`);
    const got = await cache!.read(repo, commit, file);
    if (got instanceof Uint8Array) return got;
    if (optional) return null;
    throw new HubError(`${name}: ${why}, and ${file} of commit ${commit.slice(0, 12)} is not in the cache (${where}); connect once to download it`);
  };

  return async (file, optional) => {
    const url = hubFileUrl(endpoint, repo, revision, file);
    if (PICKLES.includes(file)) return !offline && (await io.probe(url, file).catch(() => false)) ? new Uint8Array(0) : null;
    if (offline) return fromCache(file, optional, 'offline (HF_HUB_OFFLINE or { offline: true })');
    if (!platform.readsRedirects) return browserGet(url, file, optional);

    // Node: HEAD without following the CDN redirect, as huggingface_hub does, for the commit and ETag.
    let res: Response;
    try {
      res = await followRelative(url, file);
    } catch (e) {
      if (cache && (await cache.commitOf(repo, revision))) {
        console.warn(`webgpu-bert: ${(e as Error).message}; using the cached copy`);
        return fromCache(file, optional, 'the Hub cannot be reached');
      }
      throw e;
    }
    const resCommit = res.headers.get('x-repo-commit');
    if (isMissingEntry(res)) {
      if (cache && resCommit) await cache.writeAbsent(repo, revision, resCommit, file);
      if (optional) return null;
      throw httpError(res, `${name}: ${file}`, !!io.fetchOptions.token);
    }
    if (!res.ok && !(res.status >= 300 && res.status < 400)) throw httpError(res, `${name}: ${file}`, !!io.fetchOptions.token);
    commit = resCommit ?? (isCommitHash(revision) ? revision : null);
    const etag = normalizeEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
    if (cache && commit && etag) {
      const cached = await cache.read(repo, commit, file);
      if (cached instanceof Uint8Array) return cached;
      const blob = await cache.readBlob(repo, etag);
      if (blob) {
        await cache.write(repo, revision, commit, file, etag, blob);
        return blob;
      }
    }
    const bytes = await io.fetchFile(url, file);
    if (cache && commit && etag) await cache.write(repo, revision, commit, file, etag, bytes);
    return bytes;
  };

  // A renamed repo answers a relative redirect to its new name; a file on the CDN an absolute one,
  // whose response already carries the metadata. Follow the first kind only.
  async function followRelative(url: string, file: string): Promise<Response> {
    let res = await head(url, `${name}: ${file}`, io.fetchOptions);
    for (let hops = 0; hops < 5 && res.status >= 300 && res.status < 400 && !res.headers.get('x-linked-etag'); hops++) {
      const location = res.headers.get('location');
      if (!location || /^https?:\/\//i.test(location)) break;
      res = await head(new URL(location, url).toString(), `${name}: ${file}`, io.fetchOptions);
    }
    return res;
  }

  // Browsers: files keyed by revision in the Cache API; a cached file is used without asking the Hub.
  async function browserGet(url: string, file: string, optional: boolean): Promise<Uint8Array | null> {
    if (cache) {
      const got = await cache.read(repo, revision, file);
      if (got instanceof Uint8Array) return got;
      if (got === 'absent' && optional) return null;
    }
    try {
      const bytes = await io.fetchFile(url, file);
      await cache?.write(repo, revision, revision, file, '', bytes);
      return bytes;
    } catch (e) {
      if (optional && e instanceof HubError && /file not found \(HTTP 404\)/.test(e.message)) {
        await cache?.writeAbsent(repo, revision, revision, file);
        return null;
      }
      throw e;
    }
  }
}

/** A model by name, directory or URL: config.json's architecture unless `options.architecture` says otherwise. */
export async function loadPretrainedModel(nameOrPathOrUrl: string, options: FromPretrainedOptions = {}): Promise<BertPretrained> {
  const { files, name } = await pretrainedFiles(nameOrPathOrUrl, options, { tokenizer: false });
  try {
    const { model, report } = modelFromCheckpoint(new TextDecoder().decode(files['config.json'] as Uint8Array), weightsFromFiles(files), options);
    if (!options.quiet) for (const note of report.notes) console.warn(`webgpu-bert: loading ${name}: ${note}`);
    return model;
  } catch (e) {
    throw named(e, name);
  }
}

/** Prefixes an error's message with the model's name (keeping its class). */
export function named(e: unknown, name: string): unknown {
  if (e instanceof Error && !e.message.startsWith(name)) e.message = `${name}: ${e.message}`;
  return e;
}

setPretrainedLoader(loadPretrainedModel);

/** Fetches a pipeline's files by name, directory or URL and builds it; errors name the model. */
export async function pipelineFromPretrained<T extends { dtype: unknown; dispose(): void }>(nameOrPathOrUrl: string, options: HubOptions & { dtype?: ComputeDType }, build: (files: PipelineFiles) => T): Promise<T> {
  const { files, name } = await pretrainedFiles(nameOrPathOrUrl, options);
  let built: T | null = null;
  try {
    built = build(files);
    if (options.dtype !== undefined) built.dtype = options.dtype;
    return built;
  } catch (e) {
    built?.dispose();
    throw named(e, name);
  }
}
