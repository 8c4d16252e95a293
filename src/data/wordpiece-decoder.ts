// HF's WordPiece decoder: continuation pieces are glued to the previous token ('##' dropped),
// other tokens get a leading space; `cleanup` then removes spaces before punctuation, token by token.

export function decodeWordPieces(tokens: readonly string[], prefix = '##', cleanup = true): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    let token = tokens[i]!;
    if (i !== 0) token = token.startsWith(prefix) ? token.slice(prefix.length) : ` ${token}`;
    out += cleanup ? cleanupToken(token) : token;
  }
  return out;
}

/** HF's `cleanup`, applied to one token (with its leading space) at a time, as HF does. */
function cleanupToken(token: string): string {
  return token
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
