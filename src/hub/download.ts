// Downloading one file over HTTP as the Hub serves it: errors that name the repo and file, a
// broken connection resumed with a Range request (the Hub and its CDN answer 206), a size check,
// and progress per chunk. Browser-safe (global fetch).
import { HubError } from './source.ts';

export interface DownloadProgress {
  file: string;
  loaded: number;
  /** Bytes in all, when the server says. */
  total: number | undefined;
}

export interface RequestOptions {
  /** `Authorization: Bearer` for private and gated repos. */
  token?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface DownloadOptions extends RequestOptions {
  /** Names the file in messages (`org/name: model.safetensors`). */
  label: string;
  file: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Resumptions after a broken connection. Default 3. */
  retries?: number;
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The error for a response that is not a file: 404 (missing repo, revision or file), 401/403 (private or gated). */
export function httpError(res: Response, label: string, hasToken: boolean): HubError {
  const code = res.headers.get('x-error-code') ?? '';
  const detail = res.headers.get('x-error-message');
  const more = detail ? ` (${detail})` : '';
  if (code === 'RepoNotFound' || (res.status === 401 && !code)) {
    return new HubError(`${label}: repository not found (HTTP ${res.status})${more}. Check the name; if it is private or gated, ${hasToken ? 'the token given has no access to it' : 'pass { token } or set HF_TOKEN'}`);
  }
  if (code === 'GatedRepo' || res.status === 403) {
    return new HubError(`${label}: access denied (HTTP ${res.status}, ${code || 'forbidden'})${more}: the repository is gated or private; ${hasToken ? 'the token given has no access to it (accept its conditions on the Hub)' : 'pass { token } or set HF_TOKEN'}`);
  }
  if (code === 'RevisionNotFound') return new HubError(`${label}: revision not found (HTTP ${res.status})${more}`);
  if (code === 'EntryNotFound' || res.status === 404) return new HubError(`${label}: file not found (HTTP 404)${more}`);
  return new HubError(`${label}: HTTP ${res.status} ${res.statusText}${more}`);
}

/** A 404 that says the file (not the repo or revision) is missing: an optional file may be absent. */
export function isMissingEntry(res: Response): boolean {
  const code = res.headers.get('x-error-code');
  return res.status === 404 && (code === 'EntryNotFound' || code === null);
}

function networkError(label: string, e: unknown): HubError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (e as Error).message;
  return new HubError(`${label}: network error (${why})`);
}

/** GETs `url` into memory, resuming with `Range` when the connection breaks mid-file. */
export async function download(url: string, options: DownloadOptions): Promise<Uint8Array> {
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  let chunks: Uint8Array[] = [];
  let loaded = 0;
  let total: number | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    const headers: Record<string, string> = { ...authHeaders(options.token), ...(loaded > 0 ? { range: `bytes=${loaded}-` } : {}) };
    let res: Response;
    try {
      res = await doFetch(url, { headers, redirect: 'follow' });
    } catch (e) {
      lastError = e;
      continue;
    }
    if (loaded > 0 && res.status === 200) {
      chunks = []; // the server ignored the range: start again
      loaded = 0;
    } else if (loaded > 0 && res.status !== 206) {
      throw httpError(res, options.label, !!options.token);
    } else if (loaded === 0 && !res.ok) {
      throw httpError(res, options.label, !!options.token);
    }
    if (total === undefined) {
      const range = res.headers.get('content-range')?.match(/\/(\d+)$/);
      const length = res.headers.get('content-length');
      total = range ? Number(range[1]) : length !== null && res.status === 200 ? Number(length) : undefined;
    }
    if (!res.body) throw new HubError(`${options.label}: the response has no body`);
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        options.onProgress?.({ file: options.file, loaded, total });
      }
    } catch (e) {
      lastError = e;
      continue; // resume from `loaded`
    }
    if (total !== undefined && loaded !== total) {
      lastError = new Error(`${loaded} of ${total} bytes arrived`);
      continue;
    }
    return concat(chunks, loaded);
  }
  const got = total !== undefined ? `${loaded} of ${total} bytes` : `${loaded} bytes`;
  throw new HubError(`${networkError(options.label, lastError).message}; gave up after ${retries + 1} attempts with ${got}`);
}

/** HEAD without following redirects (Node): the Hub's metadata headers are on the first response. */
export async function head(url: string, label: string, options: RequestOptions): Promise<Response> {
  try {
    return await (options.fetch ?? fetch)(url, { method: 'HEAD', headers: authHeaders(options.token), redirect: 'manual' });
  } catch (e) {
    throw networkError(label, e);
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
