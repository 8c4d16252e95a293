// Node-only parts of the text pipeline (they read files).
export { textDatasetFromDirectory, type TextDirectoryOptions, type TextDirectoryData } from './directory.node.ts';
export { loadSpamAssassin, loadBrown, loadMobyDick, loadStateOfTheUnion, SPAM_ASSASSIN_GROUPS, type SpamAssassinOptions } from './corpora.node.ts';
export { loadWordPieceTokenizer } from './tokenizer-files.node.ts';
