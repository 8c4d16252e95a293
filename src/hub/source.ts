// Where a pretrained model comes from: a local directory, a base URL, or a Hugging Face Hub repo
// (`google-bert/bert-base-uncased`, `user/repo@revision`), resolved the way the Hub serves files:
// {endpoint}/{repo}/resolve/{revision}/{file}.

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export class HubError extends Error {
  override name = 'HubError';
}

export type ModelSource =
  | { kind: 'directory'; path: string }
  | { kind: 'url'; base: string }
  | { kind: 'hub'; repo: string; revision: string };

// The Hub's rule for repo ids: [namespace/]name, letters, digits, '-', '_', '.', at most 96 characters,
// no '--' or '..', not starting or ending with '-' or '.'.
const PART = /^(?![.-])(?!.*(--|\.\.))[\w.-]+(?<![.-])$/;

/** Parses a Hub repo id with an optional `@revision`; null when the string is not one. */
export function parseRepoId(id: string): { repo: string; revision: string } | null {
  const at = id.lastIndexOf('@');
  const repo = at >= 0 ? id.slice(0, at) : id;
  const revision = at >= 0 ? id.slice(at + 1) : 'main';
  const parts = repo.split('/');
  if (parts.length > 2 || repo.length > 96 || !parts.every((p) => PART.test(p)) || !revision || /\s/.test(revision)) return null;
  return { repo, revision };
}

/**
 * What `nameOrPathOrUrl` names. `isDirectory` says whether a local path exists as a directory (Node);
 * a path that looks like one (`./x`, `/x`, `C:\x`, `~/x`) but does not exist is an error, not a repo id.
 */
export function modelSource(nameOrPathOrUrl: string, isDirectory: (path: string) => boolean): ModelSource {
  const s = nameOrPathOrUrl;
  if (typeof s !== 'string' || s.trim() === '') throw new HubError(`fromPretrained: expected a Hub repo id, a directory or a URL, got ${JSON.stringify(s)}`);
  if (/^https?:\/\//i.test(s)) return { kind: 'url', base: s.replace(/\/+$/, '') };
  if (isDirectory(s)) return { kind: 'directory', path: s };
  const looksLikePath = /^(\.{1,2}[\\/]|[\\/]|~[\\/]|[A-Za-z]:[\\/])/.test(s) || s.split('/').length > 2 || s.includes('\\');
  const id = looksLikePath ? null : parseRepoId(s);
  if (!id) {
    throw new HubError(looksLikePath
      ? `fromPretrained: ${s} is not a directory`
      : `fromPretrained: '${s}' is neither a directory nor a valid Hub repo id (name or namespace/name, letters, digits, '-', '_', '.', optionally @revision)`);
  }
  return { kind: 'hub', ...id };
}

/** The URL the Hub serves `file` of `repo` at `revision` from. */
export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** How a source is named in messages. */
export function sourceName(source: ModelSource): string {
  return source.kind === 'hub' ? `${source.repo}${source.revision === 'main' ? '' : `@${source.revision}`}` : source.kind === 'url' ? source.base : source.path;
}
