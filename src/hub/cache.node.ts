// The Hub's cache layout on disk, as huggingface_hub writes it, so files either side downloaded
// are reused by the other:
//   {HF_HUB_CACHE | HF_HOME/hub | ~/.cache/huggingface/hub}/models--{org}--{name}/
//     blobs/{etag}                      the file's bytes (etag: sha256 for LFS files, git sha1 otherwise)
//     refs/{revision}                   the commit hash the revision pointed to
//     snapshots/{commit}/{file}         a relative symlink to ../../blobs/{etag}
//     .no_exist/{commit}/{file}         an empty file: the Hub said this file does not exist
// Blobs are written to a temporary name and renamed, so a broken download leaves nothing behind.
import { lstat, mkdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { writeFileAtomic } from '../io/checkpoint.node.ts';
import { isCommitHash, type HubCache } from './cache.ts';

/** The cache directory huggingface_hub uses, from the same environment variables. */
export function defaultHubCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

const readOrNull = (path: string) => readFile(path).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength), () => null);

export class NodeHubCache implements HubCache {
  constructor(readonly location: string) {}

  repoDir(repo: string): string {
    return join(this.location, `models--${repo.replaceAll('/', '--')}`);
  }

  async commitOf(repo: string, revision: string): Promise<string | null> {
    const ref = await readFile(join(this.repoDir(repo), 'refs', revision), 'utf8').catch(() => null);
    if (ref !== null && ref.trim()) return ref.trim();
    if (isCommitHash(revision) && (await lstat(join(this.repoDir(repo), 'snapshots', revision)).catch(() => null))) return revision;
    return null;
  }

  async read(repo: string, commit: string, file: string): Promise<Uint8Array | 'absent' | null> {
    const dir = this.repoDir(repo);
    const bytes = await readOrNull(join(dir, 'snapshots', commit, file));
    if (bytes) return bytes;
    return (await lstat(join(dir, '.no_exist', commit, file)).catch(() => null)) ? 'absent' : null;
  }

  readBlob(repo: string, etag: string): Promise<Uint8Array | null> {
    return readOrNull(join(this.repoDir(repo), 'blobs', etag));
  }

  async write(repo: string, revision: string, commit: string, file: string, etag: string, bytes: Uint8Array): Promise<void> {
    const dir = this.repoDir(repo);
    const blob = join(dir, 'blobs', etag);
    if (!(await lstat(blob).catch(() => null))) await writeFileAtomic(blob, bytes);
    await this.link(dir, commit, file, blob);
    await this.writeRef(dir, revision, commit);
  }

  async writeAbsent(repo: string, revision: string, commit: string, file: string): Promise<void> {
    const dir = this.repoDir(repo);
    const marker = join(dir, '.no_exist', commit, file);
    await mkdir(dirname(marker), { recursive: true });
    await writeFile(marker, '');
    await this.writeRef(dir, revision, commit);
  }

  private async link(dir: string, commit: string, file: string, blob: string): Promise<void> {
    const path = join(dir, 'snapshots', commit, file);
    await mkdir(dirname(path), { recursive: true });
    const target = relative(dirname(path), blob);
    const existing = await readlink(path).catch(() => null);
    if (existing === target) return;
    await rm(path, { force: true });
    // Where symlinks are not allowed (Windows without developer mode), a copy, as huggingface_hub does.
    await symlink(target, path).catch(async () => writeFileAtomic(path, await readFile(blob)));
  }

  private async writeRef(dir: string, revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    await writeFileAtomic(join(dir, 'refs', revision), commit);
  }
}
