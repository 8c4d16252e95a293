// fromPretrained / pipeline() by name against a local Hub (test/util/hub-server.ts: the Hub's URL
// layout, headers, redirects, ETags and Range answers): the cache in huggingface_hub's layout and
// reused both ways, offline mode, revisions, renamed repos, broken downloads resumed or cleaned up,
// sharded checkpoints, and every bad case with its message. Also directories and base URLs.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BertForMaskedLM, BertModel, FeatureExtraction, FillMask, HubError, parseRepoId, pipeline, readSafetensors, writeSafetensors, defaultHubCacheDir,
  type FillMaskCandidate, type PipelineFiles,
} from '../src/node.ts';
import { gpu } from './util/gpu.ts';
import { commitFor, HubServer } from './util/hub-server.ts';
import { testTokenizer, tinyConfig } from './util/train-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'wgb-hub-'));
let hub: HubServer;
let files: PipelineFiles;
let expected: FillMaskCandidate[];
const TEXT = 'the [MASK] sat on the mat';
let cacheN = 0;
const newCache = () => join(root, `cache-${cacheN++}`);
/** A URL nothing listens on (a port just freed). */
async function deadEndpoint(): Promise<string> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise((ok) => s.close(ok));
  return `http://127.0.0.1:${port}`;
}
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  await gpu();
  const tokenizer = testTokenizer();
  const model = new BertForMaskedLM(tinyConfig(tokenizer.vocabSize), { seed: 3 });
  const fill = new FillMask({ model, tokenizer, sequenceLength: 16 });
  files = await fill.toFiles();
  expected = await fill.predict(TEXT);
  fill.dispose();
  hub = await new HubServer().start();
  hub.repos.set('org/tiny', { files });
});

afterAll(async () => {
  await hub?.stop();
  rmSync(root, { recursive: true, force: true });
});

const opts = (cacheDir: string, more: object = {}) => ({ endpoint: hub.url, cacheDir, progress: false, ...more });

describe('repo ids', () => {
  it('parses names, namespaces and revisions as the Hub does', () => {
    expect(parseRepoId('bert-base-uncased')).toEqual({ repo: 'bert-base-uncased', revision: 'main' });
    expect(parseRepoId('google-bert/bert-base-uncased@v1.0')).toEqual({ repo: 'google-bert/bert-base-uncased', revision: 'v1.0' });
    for (const bad of ['a/b/c', 'a--b/c', '-a/b', 'a/b.', 'a b', 'x'.repeat(97), 'a/b@']) expect(parseRepoId(bad), bad).toBeNull();
  });

  it('rejects strings that are neither a directory nor a repo id, naming them', async () => {
    await expect(FillMask.fromPretrained('./no/such/dir')).rejects.toThrow("fromPretrained: ./no/such/dir is not a directory");
    await expect(FillMask.fromPretrained('not a repo')).rejects.toThrow(/'not a repo' is neither a directory nor a valid Hub repo id/);
    await expect(FillMask.fromPretrained('')).rejects.toThrow(/expected a Hub repo id, a directory or a URL/);
  });

  it('takes the cache directory from HF_HUB_CACHE, then HF_HOME', () => {
    expect(defaultHubCacheDir({ HF_HUB_CACHE: '/x/hub' })).toBe('/x/hub');
    expect(defaultHubCacheDir({ HF_HOME: '/y' })).toBe(join('/y', 'hub'));
    expect(defaultHubCacheDir({ HOME: '/h' })).toMatch(/huggingface[\\/]hub$/);
  });
});

describe('fromPretrained from the Hub', () => {
  it('downloads into the Hub cache layout and predicts as the original', async () => {
    const cacheDir = newCache();
    const progress: number[] = [];
    const fill = await FillMask.fromPretrained('org/tiny', opts(cacheDir, { onProgress: (p: { file: string; loaded: number; total?: number }) => p.file === 'model.safetensors' && progress.push(p.loaded / p.total!) }));
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
    expect(progress.at(-1)).toBe(1);

    const repoDir = join(cacheDir, 'models--org--tiny');
    const commit = commitFor('org/tiny');
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    const weights = files['model.safetensors'] as Uint8Array;
    const snap = join(repoDir, 'snapshots', commit, 'model.safetensors');
    expect(lstatSync(snap).isSymbolicLink()).toBe(true);
    expect(readlinkSync(snap)).toBe(join('..', '..', 'blobs', sha256(weights))); // LFS: named by sha256
    expect(new Uint8Array(readFileSync(snap))).toEqual(weights);
    expect(existsSync(join(repoDir, 'snapshots', commit, 'tokenizer.json'))).toBe(true);
    expect(readdirSync(join(repoDir, 'blobs')).filter((f) => f.includes('tmp'))).toEqual([]);
    // Files the repo lacks are remembered as huggingface_hub does, so they are not asked for again offline.
    expect(existsSync(join(repoDir, '.no_exist', commit, 'model.safetensors.index.json'))).toBe(false); // model.safetensors exists, so never asked
  });

  it('uses the cache on the next load: HEAD requests only, no download', async () => {
    const cacheDir = newCache();
    (await FillMask.fromPretrained('org/tiny', opts(cacheDir))).dispose();
    const before = hub.log.length;
    const fill = await FillMask.fromPretrained('org/tiny', opts(cacheDir));
    const after = hub.log.slice(before);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.method === 'HEAD')).toBe(true);
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
  });

  it('offline (option or HF_HUB_OFFLINE=1) reads only the cache, and says what is missing', async () => {
    const cacheDir = newCache();
    (await FillMask.fromPretrained('org/tiny', opts(cacheDir))).dispose();
    const before = hub.log.length;
    const fill = await FillMask.fromPretrained('org/tiny', opts(cacheDir, { offline: true }));
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
    process.env.HF_HUB_OFFLINE = '1';
    try {
      (await FillMask.fromPretrained('org/tiny', opts(cacheDir))).dispose();
      await expect(FillMask.fromPretrained('org/other', opts(cacheDir))).rejects.toThrow(
        /org\/other: offline \(HF_HUB_OFFLINE or \{ offline: true \}\), and org\/other@main is not in the cache \(.*cache-\d+\); connect once to download it/,
      );
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
    expect(hub.log.length).toBe(before);
    rmSync(join(cacheDir, 'models--org--tiny', 'snapshots', commitFor('org/tiny'), 'config.json'));
    await expect(FillMask.fromPretrained('org/tiny', opts(cacheDir, { offline: true }))).rejects.toThrow(/config\.json of commit [0-9a-f]{12} is not in the cache/);
  });

  it("reads a cache huggingface_hub wrote (blobs, snapshots with relative links, refs)", async () => {
    const cacheDir = newCache();
    const repoDir = join(cacheDir, 'models--someone--made-elsewhere');
    const commit = 'a'.repeat(40);
    for (const d of ['blobs', 'refs', join('snapshots', commit)]) mkdirSync(join(repoDir, d), { recursive: true });
    writeFileSync(join(repoDir, 'refs', 'main'), commit);
    for (const [name, contents] of Object.entries(files)) {
      const bytes = typeof contents === 'string' ? Buffer.from(contents) : contents;
      const blob = createHash('sha1').update(bytes).digest('hex');
      writeFileSync(join(repoDir, 'blobs', blob), bytes);
      symlinkSync(join('..', '..', 'blobs', blob), join(repoDir, 'snapshots', commit, name));
    }
    const fill = await FillMask.fromPretrained('someone/made-elsewhere', opts(cacheDir, { offline: true }));
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
    // A commit hash as the revision resolves to its snapshot without refs.
    rmSync(join(repoDir, 'refs', 'main'));
    (await FillMask.fromPretrained(`someone/made-elsewhere@${commit}`, opts(cacheDir, { offline: true }))).dispose();
  });

  it('follows revisions and renamed repos', async () => {
    const cacheDir = newCache();
    const other = { ...files, 'pipeline.json': JSON.stringify({ format: 1, task: 'fill-mask', sequenceLength: 12 }) };
    hub.repos.set('org/revs', { files, revisions: { v2: other } });
    const fill = await FillMask.fromPretrained('org/revs@v2', opts(cacheDir));
    expect(fill.sequenceLength).toBe(12);
    fill.dispose();
    expect(readFileSync(join(cacheDir, 'models--org--revs', 'refs', 'v2'), 'utf8')).toBe(commitFor('org/revs@v2'));
    const viaOption = await FillMask.fromPretrained('org/revs', opts(cacheDir, { revision: 'v2' }));
    expect(viaOption.sequenceLength).toBe(12);
    viaOption.dispose();
    await expect(FillMask.fromPretrained('org/revs@nope', opts(cacheDir))).rejects.toThrow('org/revs@nope: config.json: revision not found (HTTP 404) (Invalid rev id: nope)');
    hub.renames.set('org/old-name', 'org/tiny');
    const renamed = await FillMask.fromPretrained('org/old-name', opts(newCache()));
    expect(await renamed.predict(TEXT)).toEqual(expected);
    renamed.dispose();
  });

  it('resumes a download that breaks mid-file with a Range request', async () => {
    const weights = files['model.safetensors'] as Uint8Array;
    hub.breakDownload(weights, 5000, 2);
    const before = hub.log.length;
    const fill = await FillMask.fromPretrained('org/tiny', opts(newCache()));
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
    const cdn = hub.log.slice(before).filter((r) => r.path.startsWith('/cdn/'));
    expect(cdn.map((r) => [r.status, r.range ?? ''])).toEqual([[200, ''], [206, 'bytes=5000-'], [206, 'bytes=10000-']]);
  });

  it('a download that keeps breaking is an error naming the repo and file, and leaves no partial file', async () => {
    const cacheDir = newCache();
    const weights = files['model.safetensors'] as Uint8Array;
    hub.breakDownload(weights, 0, 10);
    await expect(FillMask.fromPretrained('org/tiny', opts(cacheDir))).rejects.toThrow(/^org\/tiny: model\.safetensors: network error \(.*\); gave up after 4 attempts with 0 of \d+ bytes$/);
    hub.breakDownload(weights, 0, 0);
    const blobs = join(cacheDir, 'models--org--tiny', 'blobs');
    expect(readdirSync(blobs).some((f) => f === sha256(weights) || f.includes('tmp'))).toBe(false);
    expect(existsSync(join(cacheDir, 'models--org--tiny', 'snapshots', commitFor('org/tiny'), 'model.safetensors'))).toBe(false);
  });

  it('loads a sharded checkpoint (model.safetensors.index.json)', async () => {
    const file = readSafetensors(files['model.safetensors'] as Uint8Array);
    const names = [...file.tensors.keys()];
    const shard = (part: string[]) => writeSafetensors(part.map((n) => ({ name: n, dtype: file.tensors.get(n)!.dtype, shape: file.tensors.get(n)!.shape, data: file.bytes(n) })));
    const half = Math.ceil(names.length / 2);
    const [a, b] = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const weight_map = Object.fromEntries(names.map((n, i) => [n, i < half ? a : b]));
    const { 'model.safetensors': _w, ...rest } = files;
    hub.repos.set('org/sharded', { files: { ...rest, 'model.safetensors.index.json': JSON.stringify({ metadata: {}, weight_map }), [a]: shard(names.slice(0, half)), [b]: shard(names.slice(half)) } });
    const fill = await FillMask.fromPretrained('org/sharded', opts(newCache()));
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
  });

  it('loads models and every pipeline by name; pipeline() is one line', async () => {
    const cacheDir = newCache();
    const fill = await pipeline('fill-mask', 'org/tiny', opts(cacheDir));
    expect(fill).toBeInstanceOf(FillMask);
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
    const features = await pipeline('feature-extraction', 'org/tiny', opts(cacheDir));
    expect(features).toBeInstanceOf(FeatureExtraction);
    features.dispose();
    const mlm = await BertForMaskedLM.fromPretrained('org/tiny', opts(cacheDir));
    expect(mlm).toBeInstanceOf(BertForMaskedLM);
    mlm.dispose();
    const bare = await BertModel.fromPretrained('org/tiny', opts(cacheDir, { quiet: true }));
    expect(bare).toBeInstanceOf(BertModel);
    bare.dispose();
    await expect(pipeline('summarization' as 'fill-mask', 'org/tiny')).rejects.toThrow("pipeline: unknown task \"summarization\"; expected one of 'fill-mask', 'text-classification', 'feature-extraction', 'question-answering'");
    await expect(pipeline('text-classification', 'org/tiny', opts(cacheDir))).rejects.toThrow("org/tiny: TextClassifier.fromPretrained: the checkpoint is a 'fill-mask' model, not a classifier; pass { labels: [...] }");
  });

  it('honours HF_ENDPOINT and HF_TOKEN', async () => {
    hub.repos.set('org/private', { files, token: 'secret' });
    process.env.HF_ENDPOINT = hub.url;
    try {
      await expect(FillMask.fromPretrained('org/private', { cacheDir: newCache(), progress: false })).rejects.toThrow(/org\/private: config\.json: repository not found \(HTTP 401\).*pass \{ token \} or set HF_TOKEN/);
      process.env.HF_TOKEN = 'secret';
      const fill = await FillMask.fromPretrained('org/private', { cacheDir: newCache(), progress: false });
      fill.dispose();
      expect(hub.log.at(-1)!.authorization).toBe('Bearer secret');
    } finally {
      delete process.env.HF_ENDPOINT;
      delete process.env.HF_TOKEN;
    }
  });
});

describe('fromPretrained: bad cases, each named', () => {
  it('an unknown repo, a private one, a gated one', async () => {
    const c = newCache();
    await expect(FillMask.fromPretrained('org/missing', opts(c))).rejects.toThrow("org/missing: config.json: repository not found (HTTP 401) (Repository not found). Check the name; if it is private or gated, pass { token } or set HF_TOKEN");
    await expect(FillMask.fromPretrained('org/private', opts(c, { token: 'wrong' }))).rejects.toThrow('if it is private or gated, the token given has no access to it');
    hub.repos.set('org/gated', { files, gated: { deniedToken: 'nope' } });
    await expect(FillMask.fromPretrained('org/gated', opts(c))).rejects.toThrow("org/gated: config.json: access denied (HTTP 401, GatedRepo) (Access to this model is restricted): the repository is gated or private; pass { token } or set HF_TOKEN");
    await expect(FillMask.fromPretrained('org/gated', opts(c, { token: 'nope' }))).rejects.toThrow('access denied (HTTP 403, GatedRepo)');
    (await FillMask.fromPretrained('org/gated', opts(c, { token: 'ok' }))).dispose();
  });

  it('a non-BERT model_type, a repo with only pytorch_model.bin, a missing tokenizer, the network down', async () => {
    const config = JSON.parse(files['config.json'] as string);
    hub.repos.set('org/roberta', { files: { ...files, 'config.json': JSON.stringify({ ...config, model_type: 'roberta' }) } });
    await expect(FillMask.fromPretrained('org/roberta', opts(newCache()))).rejects.toThrow("org/roberta: config.json has model_type 'roberta'; webgpu-bert loads BERT checkpoints only (model_type 'bert')");
    hub.repos.set('org/pickle', { files: { 'config.json': files['config.json'], 'pytorch_model.bin': new Uint8Array(64) } });
    await expect(BertForMaskedLM.fromPretrained('org/pickle', opts(newCache()))).rejects.toThrow(/org\/pickle: no model\.safetensors \(or model\.safetensors\.index\.json\), only pytorch_model\.bin\. Pickle files are not loaded: unpickling runs arbitrary code/);
    expect(hub.gets('pytorch_model.bin')).toEqual([]); // probed, never downloaded
    hub.repos.set('org/no-tokenizer', { files: { 'config.json': files['config.json'], 'model.safetensors': files['model.safetensors'] } });
    await expect(FillMask.fromPretrained('org/no-tokenizer', opts(newCache()))).rejects.toThrow('org/no-tokenizer: the directory has neither tokenizer.json nor vocab.txt');
    await expect(FillMask.fromPretrained('org/tiny', opts(newCache(), { endpoint: await deadEndpoint() }))).rejects.toThrow(/^org\/tiny: config\.json: network error \(ECONNREFUSED\)/);
  });

  it('the network down with the repo cached: uses the cache, with a warning', async () => {
    const cacheDir = newCache();
    (await FillMask.fromPretrained('org/tiny', opts(cacheDir))).dispose();
    const fill = await FillMask.fromPretrained('org/tiny', opts(cacheDir, { endpoint: await deadEndpoint() }));
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
  });
});

describe('fromPretrained from a directory or a URL', () => {
  it('loads a local directory (saved by a pipeline or by transformers)', async () => {
    const dir = join(root, 'local');
    mkdirSync(dir);
    for (const [name, contents] of Object.entries(files)) writeFileSync(join(dir, name), contents);
    const fill = await FillMask.fromPretrained(dir);
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
    rmSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    await expect(FillMask.fromPretrained(dir)).rejects.toThrow(/no model\.safetensors .*only pytorch_model\.bin/);
  });

  it('loads from a base URL', async () => {
    hub.repos.set('org/by-url', { files });
    const fill = await FillMask.fromPretrained(`${hub.url}/org/by-url/resolve/main`, { progress: false });
    expect(await fill.predict(TEXT)).toEqual(expected);
    fill.dispose();
    await expect(FillMask.fromPretrained(`${hub.url}/org/nothing/resolve/main`, { progress: false })).rejects.toThrow(/repository not found \(HTTP 401\)/);
    expect(HubError).toBeDefined();
  });
});
