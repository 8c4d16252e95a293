// A local stand-in for the Hugging Face Hub on 127.0.0.1, serving repos in the Hub's URL layout with
// the Hub's headers: {base}/{repo}/resolve/{revision}/{file}; small files answered directly (ETag: the
// git blob id), LFS files (*.safetensors, *.bin) redirected with 302 to {base}/cdn/{sha256} carrying
// X-Linked-Etag / X-Linked-Size / X-Repo-Commit, the CDN answering Range requests with 206. Errors
// as the Hub sends them (X-Error-Code RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound).
// CORS headers let a page on another origin use it. Faults can be injected to break a download.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface HubRepo {
  files: Record<string, string | Uint8Array>;
  /** The commit `main` points at (40 hex). Default: derived from the repo name. */
  commit?: string;
  /** Other revisions: name -> files (each its own commit). */
  revisions?: Record<string, Record<string, string | Uint8Array>>;
  /** Private: only this token sees it (others get 401 RepoNotFound, as on the Hub). */
  token?: string;
  /** Gated: any token is let in except `deniedToken` (403); no token gets 401 GatedRepo. */
  gated?: { deniedToken: string };
}

export interface HubRequest {
  method: string;
  path: string;
  range?: string;
  status: number;
  authorization?: string;
}

const LFS = /\.(safetensors|bin|h5|msgpack)$/;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Uint8Array) => createHash('sha1').update(`blob ${b.byteLength}\0`).update(b).digest('hex');
const bytesOf = (f: string | Uint8Array) => (typeof f === 'string' ? new TextEncoder().encode(f) : f);
export const commitFor = (name: string) => createHash('sha1').update(name).digest('hex');

export class HubServer {
  readonly repos = new Map<string, HubRepo>();
  /** Old name -> new name: answered with a relative 307, as the Hub does for renamed repos. */
  readonly renames = new Map<string, string>();
  readonly log: HubRequest[] = [];
  /** CDN faults: sha256 -> how many more responses to cut after `afterBytes`. */
  private readonly faults = new Map<string, { afterBytes: number; times: number }>();
  private readonly blobs = new Map<string, Uint8Array>();
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    const addr = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${addr.port}`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }

  /** Cuts the next `times` CDN responses for `bytes` after `afterBytes` bytes (the socket is destroyed). */
  breakDownload(bytes: Uint8Array, afterBytes: number, times = 1): void {
    this.faults.set(sha256(bytes), { afterBytes, times });
  }

  gets(file: string): HubRequest[] {
    return this.log.filter((r) => r.method === 'GET' && r.path.endsWith(`/${file}`));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const entry: HubRequest = { method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), status: 0, ...(req.headers.range ? { range: req.headers.range } : {}), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
    this.log.push(entry);
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'authorization, range');
    res.setHeader('access-control-expose-headers', 'etag, x-repo-commit, x-linked-etag, x-linked-size, x-error-code, x-error-message, content-range, content-length, location');
    const send = (status: number, headers: Record<string, string> = {}, body?: Uint8Array | string) => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method === 'OPTIONS') return send(204, { 'access-control-allow-methods': 'GET, HEAD' });

    if (url.pathname.startsWith('/cdn/')) return this.cdn(url.pathname.slice(5), req, res, entry);
    const m = entry.path.match(/^\/(.+?)\/resolve\/([^/]+)\/(.+)$/);
    if (!m) return send(404, { 'x-error-code': 'EntryNotFound' }, 'not found');
    const [, repoName, revision, file] = m;
    const renamed = this.renames.get(repoName);
    if (renamed) return send(307, { location: `/${renamed}/resolve/${encodeURIComponent(revision)}/${file}` });
    const repo = this.repos.get(repoName);
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    const notFound = { 'x-error-code': 'RepoNotFound', 'x-error-message': 'Repository not found' };
    if (!repo || (repo.token !== undefined && token !== repo.token)) return send(401, notFound, 'Repository not found');
    if (repo.gated && !token) return send(401, { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access to this model is restricted' });
    if (repo.gated && token === repo.gated.deniedToken) return send(403, { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access to this model is restricted' });
    const commit = repo.commit ?? commitFor(repoName);
    const isMain = revision === 'main' || revision === commit;
    const files = isMain ? repo.files : repo.revisions?.[revision];
    if (!files) return send(404, { 'x-error-code': 'RevisionNotFound', 'x-error-message': `Invalid rev id: ${revision}` });
    const revCommit = isMain ? commit : commitFor(`${repoName}@${revision}`);
    const f = files[file];
    if (f === undefined) return send(404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': revCommit, 'x-error-message': 'Entry not found' });
    const bytes = bytesOf(f);
    if (LFS.test(file)) {
      const sha = sha256(bytes);
      this.blobs.set(sha, bytes);
      return send(302, { location: `${this.url}/cdn/${sha}`, 'x-linked-etag': `"${sha}"`, 'x-linked-size': String(bytes.byteLength), 'x-repo-commit': revCommit, etag: `"${gitOid(bytes)}"` });
    }
    send(200, { etag: `"${gitOid(bytes)}"`, 'x-repo-commit': revCommit, 'content-length': String(bytes.byteLength), 'content-type': 'application/octet-stream' }, bytes);
  }

  private cdn(sha: string, req: IncomingMessage, res: ServerResponse, entry: HubRequest): void {
    const bytes = this.blobs.get(sha);
    if (!bytes) {
      entry.status = 404;
      res.writeHead(404).end();
      return;
    }
    let start = 0;
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    if (range) start = Number(range[1]);
    const body = bytes.subarray(start);
    const headers: Record<string, string> = { etag: `"${sha}"`, 'content-length': String(body.byteLength), 'accept-ranges': 'bytes' };
    if (range) headers['content-range'] = `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}`;
    entry.status = range ? 206 : 200;
    res.writeHead(entry.status, headers);
    if (req.method === 'HEAD') return void res.end();
    const fault = this.faults.get(sha);
    if (fault && fault.times > 0 && body.byteLength > fault.afterBytes) {
      fault.times--;
      res.write(body.subarray(0, fault.afterBytes), () => res.destroy());
      return;
    }
    res.end(body);
  }
}
