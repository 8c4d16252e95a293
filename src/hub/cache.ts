// Where downloaded Hub files are kept: Node's is the Hub's own cache layout on disk
// (cache.node.ts), a browser's the Cache API (cache.browser.ts).

export interface HubCache {
  /** Where the files live, for messages. */
  readonly location: string;
  /** The commit `revision` resolved to when last online (a commit hash resolves to itself if cached). */
  commitOf(repo: string, revision: string): Promise<string | null>;
  /** A file of a commit: its bytes, 'absent' when the Hub said it does not exist, null when not cached. */
  read(repo: string, commit: string, file: string): Promise<Uint8Array | 'absent' | null>;
  /** A file by its content hash (ETag), whichever commit it came with; null when not cached. */
  readBlob(repo: string, etag: string): Promise<Uint8Array | null>;
  /** Stores a file of `commit` (atomically: a failed write leaves nothing) and remembers revision -> commit. */
  write(repo: string, revision: string, commit: string, file: string, etag: string, bytes: Uint8Array): Promise<void>;
  /** Remembers that `file` does not exist at `commit`. */
  writeAbsent(repo: string, revision: string, commit: string, file: string): Promise<void>;
}

/** The ETag the Hub sends, as the cache names blobs: no quotes, no weak prefix. */
export function normalizeEtag(etag: string | null): string | null {
  return etag ? etag.replace(/^W\//, '').replace(/^"|"$/g, '') : null;
}

export const isCommitHash = (s: string) => /^[0-9a-f]{40}$/.test(s);
