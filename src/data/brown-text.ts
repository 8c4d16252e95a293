// Brown corpus files hold one sentence per line as word/TAG pairs ("The/at jury/nn said/vbd ./.").
// Raw text: each token's word is the part before its last '/', `` and '' become ", tokens are
// joined with single spaces (no detokenization), one sentence per line.

export function brownToText(tagged: string): string {
  const sentences: string[] = [];
  for (const line of tagged.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) continue;
    sentences.push(tokens.map(brownWord).join(' '));
  }
  return sentences.join('\n');
}

function brownWord(token: string): string {
  const slash = token.lastIndexOf('/');
  const word = slash > 0 ? token.slice(0, slash) : token;
  return word === '``' || word === "''" ? '"' : word;
}
