// Reads and writes Hugging Face tokenizer.json files for BERT: a WordPiece model with
// BertNormalizer (or none) and BertPreTokenizer. Anything else is refused with a clear error.
import type { AddedToken } from './added-tokens.ts';
import { Vocabulary } from './vocabulary.ts';
import { WordPieceTokenizer } from './wordpiece-tokenizer.ts';
import { parseJsonFile } from '../util/json.ts';

interface JsonAddedToken {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

interface TokenizerJson {
  added_tokens?: JsonAddedToken[];
  normalizer?: { type: string; clean_text?: boolean; handle_chinese_chars?: boolean; strip_accents?: boolean | null; lowercase?: boolean } | null;
  pre_tokenizer?: { type: string } | null;
  post_processor?: { type: string; cls?: [string, number]; sep?: [string, number] } | null;
  decoder?: { type: string; prefix?: string; cleanup?: boolean } | null;
  model?: { type: string; unk_token?: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number; vocab?: Record<string, number> };
}

export function tokenizerFromJson(json: string | object, file = 'tokenizer.json'): WordPieceTokenizer {
  const spec = (typeof json === 'string' ? parseJsonFile(json, file) : json) as TokenizerJson;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new Error(`${file}: expected a JSON object, got ${Array.isArray(spec) ? 'an array' : JSON.stringify(spec)}`);
  const model = spec.model;
  if (!model || model.type !== 'WordPiece' || !model.vocab) {
    throw new Error(`${file}: expected a WordPiece model with a vocab, got ${model ? JSON.stringify(model.type) : 'no model'}`);
  }
  const n = spec.normalizer;
  if (n && n.type !== 'BertNormalizer') throw new Error(`${file}: normalizer ${n.type} is not supported (only BertNormalizer)`);
  const pre = spec.pre_tokenizer;
  if (!pre || pre.type !== 'BertPreTokenizer') throw new Error(`${file}: pre_tokenizer ${pre?.type ?? 'null'} is not supported (only BertPreTokenizer)`);
  const d = spec.decoder;
  if (d && d.type !== 'WordPiece') throw new Error(`${file}: decoder ${d.type} is not supported (only WordPiece)`);
  const addedTokens: AddedToken[] = (spec.added_tokens ?? []).map((t) => ({
    content: t.content,
    id: t.id,
    special: t.special ?? false,
    normalized: t.normalized ?? !(t.special ?? false),
    singleWord: t.single_word ?? false,
    lstrip: t.lstrip ?? false,
    rstrip: t.rstrip ?? false,
  }));
  const pp = spec.post_processor;
  const lowercase = n ? (n.lowercase ?? true) : false;
  return new WordPieceTokenizer(Vocabulary.fromRecord(model.vocab), {
    cleanText: n ? (n.clean_text ?? true) : false,
    handleChineseChars: n ? (n.handle_chinese_chars ?? true) : false,
    lowercase,
    stripAccents: n ? (n.strip_accents ?? lowercase) : false,
    unkToken: model.unk_token ?? '[UNK]',
    continuingSubwordPrefix: model.continuing_subword_prefix ?? '##',
    maxInputCharsPerWord: model.max_input_chars_per_word ?? 100,
    clsToken: pp?.cls?.[0],
    sepToken: pp?.sep?.[0],
    addedTokens,
    decoderCleanup: d?.cleanup ?? true,
  });
}

/** A tokenizer.json that HF `tokenizers` loads (Tokenizer.fromString / from_file) to the same behaviour. */
export function tokenizerToJson(tok: WordPieceTokenizer): object {
  const o = tok.normalizer.options;
  const cls = tok.tokenToId(tok.names.clsToken);
  const sep = tok.tokenToId(tok.names.sepToken);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: tok.addedTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: t.singleWord,
      lstrip: t.lstrip,
      rstrip: t.rstrip,
      normalized: t.normalized,
      special: t.special,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: o.cleanText, handle_chinese_chars: o.handleChineseChars, strip_accents: o.stripAccents, lowercase: o.lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: cls !== undefined && sep !== undefined ? { type: 'BertProcessing', sep: [tok.names.sepToken, sep], cls: [tok.names.clsToken, cls] } : null,
    decoder: { type: 'WordPiece', prefix: tok.model.continuingSubwordPrefix, cleanup: tok.decoderCleanup },
    model: {
      type: 'WordPiece',
      unk_token: tok.model.unkToken,
      continuing_subword_prefix: tok.model.continuingSubwordPrefix,
      max_input_chars_per_word: tok.model.maxInputCharsPerWord,
      vocab: tok.vocab.toRecord(),
    },
  };
}
