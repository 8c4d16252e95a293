// textDatasetFromDirectory on a temporary aclImdb-like tree: classes, unsup skip, empty and
// non-UTF-8 files, seeded 80/20 split, lazy reading, and clear errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textDatasetFromDirectory } from '../src/data/index.node.ts';

let root = '';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'imdb-'));
  for (const cls of ['pos', 'neg', 'unsup']) mkdirSync(join(root, cls));
  for (let i = 0; i < 12; i++) writeFileSync(join(root, 'pos', `${i}_9.txt`), `great movie number ${i}`);
  for (let i = 0; i < 7; i++) writeFileSync(join(root, 'neg', `${i}_1.txt`), `bad movie number ${i}`);
  writeFileSync(join(root, 'neg', 'empty_1.txt'), '');
  writeFileSync(join(root, 'neg', 'latin1_2.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b])); // "café ok" in Latin-1
  writeFileSync(join(root, 'neg', 'notes.md'), 'not a review');
  writeFileSync(join(root, 'unsup', '0_0.txt'), 'unlabelled');
});

describe('textDatasetFromDirectory', () => {
  it('labels class folders in sorted order, skips unsup, reads lazily and counts odd files', async () => {
    const data = textDatasetFromDirectory(root, { skip: ['unsup'], seed: 1 });
    expect(data.classNames).toEqual(['neg', 'pos']);
    expect(data.summary.filesPerClass).toEqual({ neg: 9, pos: 12 });
    expect(data.summary.skipped).toEqual([{ path: 'unsup', reason: 'in skip list' }, { path: join('neg', 'notes.md'), reason: 'not a text file' }]);
    expect(data.summary.read).toBe(0);
    const examples = await data.examples.toArray();
    expect(examples).toHaveLength(21);
    expect(data.summary.read).toBe(21);
    expect(data.summary.emptyDocuments).toBe(1);
    expect(data.summary.invalidEncoding).toBe(1);
    const latin = examples.find((e) => e.id.endsWith('latin1_2.txt'))!;
    expect(latin.text).toBe('caf\ufffd ok');
    for (const e of examples) expect(e.label).toBe(e.id.startsWith('pos') ? 1 : 0);
    expect([...data.labels]).toEqual(examples.map((e) => e.label));
    await data.examples.toArray();
    expect(data.summary.read).toBe(21); // each document counts once
  });

  it('latin1 fallback decodes Windows-1252', async () => {
    const data = textDatasetFromDirectory(root, { skip: ['unsup'], shuffle: false, fallback: 'latin1' });
    const texts = await data.texts.toArray();
    expect(texts).toContain('café ok');
  });

  it('splits 80/20 with a seed: disjoint, reproducible, both subsets at once', async () => {
    const opts = { skip: ['unsup'], validationSplit: 0.2, seed: 42 } as const;
    const train = textDatasetFromDirectory(root, { ...opts, subset: 'training' });
    const val = textDatasetFromDirectory(root, { ...opts, subset: 'validation' });
    expect(train.files).toHaveLength(17);
    expect(val.files).toHaveLength(4);
    expect(new Set([...train.files, ...val.files]).size).toBe(21);
    const both = textDatasetFromDirectory(root, { ...opts, subset: 'both' });
    expect(both.training.files).toEqual(train.files);
    expect(both.validation.files).toEqual(val.files);
    const other = textDatasetFromDirectory(root, { ...opts, seed: 7, subset: 'validation' });
    expect(other.files).not.toEqual(val.files);
  });

  it('uses given class names in their order and treats unsup as a class when not skipped', () => {
    expect(textDatasetFromDirectory(root, { classNames: ['pos', 'neg'], seed: 0 }).classNames).toEqual(['pos', 'neg']);
    expect(textDatasetFromDirectory(root, { seed: 0 }).classNames).toEqual(['neg', 'pos', 'unsup']);
  });

  it('explains bad layouts', () => {
    const flat = mkdtempSync(join(tmpdir(), 'flat-'));
    writeFileSync(join(flat, 'a.txt'), 'x');
    expect(() => textDatasetFromDirectory(flat)).toThrow(/no class subfolders found; expected one subfolder per class/);
    expect(() => textDatasetFromDirectory(join(flat, 'missing'))).toThrow(/cannot read the directory/);
    expect(() => textDatasetFromDirectory(root, { classNames: ['pos', 'meh'] })).toThrow(/class folder "meh" not found/);
    const emptyClasses = mkdtempSync(join(tmpdir(), 'empty-'));
    mkdirSync(join(emptyClasses, 'a'));
    expect(() => textDatasetFromDirectory(emptyClasses)).toThrow(/found no .txt files/);
    expect(() => textDatasetFromDirectory(root, { validationSplit: 0.2, subset: 'training' })).toThrow(/needs a seed/);
  });
});
