// Hub files in a browser's Cache API (one cache, `webgpu-bert-hub`), keyed like the disk layout:
// refs/{revision} holds a commit, snapshots/{commit}/{file} the bytes, no_exist/{commit}/{file}
// marks a file the Hub does not have. A `put` is all or nothing. Without HEAD metadata in browsers
// (redirects are opaque there) files are keyed by revision, and blobs are not shared across them.
import type { HubCache } from './cache.ts';

const NAME = 'webgpu-bert-hub';
const key = (...parts: string[]) => `https://webgpu-bert.cache/${parts.map(encodeURIComponent).join('/')}`;

export class BrowserHubCache implements HubCache {
  readonly location = `the browser's Cache API ('${NAME}')`;

  private open(): Promise<Cache> {
    return caches.open(NAME);
  }

  private async get(url: string): Promise<Response | undefined> {
    return (await this.open()).match(url);
  }

  async commitOf(repo: string, revision: string): Promise<string | null> {
    const res = await this.get(key(repo, 'refs', revision));
    return res ? (await res.text()).trim() || null : null;
  }

  async read(repo: string, commit: string, file: string): Promise<Uint8Array | 'absent' | null> {
    const res = await this.get(key(repo, 'snapshots', commit, file));
    if (res) return new Uint8Array(await res.arrayBuffer());
    return (await this.get(key(repo, 'no_exist', commit, file))) ? 'absent' : null;
  }

  async readBlob(): Promise<Uint8Array | null> {
    return null;
  }

  async write(repo: string, revision: string, commit: string, file: string, _etag: string, bytes: Uint8Array): Promise<void> {
    const cache = await this.open();
    await cache.put(key(repo, 'snapshots', commit, file), new Response(bytes.slice().buffer as ArrayBuffer));
    await cache.put(key(repo, 'refs', revision), new Response(commit));
  }

  async writeAbsent(repo: string, revision: string, commit: string, file: string): Promise<void> {
    const cache = await this.open();
    await cache.put(key(repo, 'no_exist', commit, file), new Response(''));
    await cache.put(key(repo, 'refs', revision), new Response(commit));
  }
}
