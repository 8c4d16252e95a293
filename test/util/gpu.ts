// Every GPU test file starts the engine the way a user does.
import { init } from '../../src/node.ts';
import type { Engine } from '../../src/gpu/engine.ts';

export async function gpu(): Promise<Engine> {
  return init();
}
