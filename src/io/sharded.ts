// Sharded checkpoints as transformers writes them: model.safetensors.index.json maps each tensor to
// one of several model-0000i-of-0000n.safetensors files. Read as one SafetensorsFile (no copy).
import { parseJsonFile } from '../util/json.ts';
import { readSafetensors, SafetensorsError, type SafetensorsFile, type TensorInfo } from './safetensors.ts';

export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

/** The shard files an index names, in order of first use. */
export function shardNames(indexJson: string): string[] {
  const index = parseJsonFile(indexJson, SAFETENSORS_INDEX) as { weight_map?: unknown };
  const map = index?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new SafetensorsError(`${SAFETENSORS_INDEX}: expected an object "weight_map" (tensor name -> shard file)`);
  const names = [...new Set(Object.values(map as Record<string, unknown>))];
  for (const n of names) {
    if (typeof n !== 'string' || !/^[\w.-]+\.safetensors$/.test(n)) throw new SafetensorsError(`${SAFETENSORS_INDEX}: shard name ${JSON.stringify(n)} is not a .safetensors file name`);
  }
  return names as string[];
}

/** The shards of an index as one file; every tensor the index names must be in its shard. */
export function readShardedSafetensors(indexJson: string, shard: (name: string) => Uint8Array | undefined): SafetensorsFile {
  const names = shardNames(indexJson);
  const map = (JSON.parse(indexJson.replace(/^\uFEFF/, '')) as { weight_map: Record<string, string> }).weight_map;
  const files = new Map<string, SafetensorsFile>();
  for (const n of names) {
    const bytes = shard(n);
    if (!bytes) throw new SafetensorsError(`${SAFETENSORS_INDEX} names shard ${n}, which is missing`);
    files.set(n, readSafetensors(bytes, n));
  }
  const tensors = new Map<string, TensorInfo>();
  const owner = new Map<string, SafetensorsFile>();
  for (const [n, f] of files) {
    for (const [name, info] of f.tensors) {
      if (owner.has(name)) throw new SafetensorsError(`tensor ${name} is in two shards (${n} and another)`);
      tensors.set(name, info);
      owner.set(name, f);
    }
  }
  for (const [name, n] of Object.entries(map)) {
    if (!files.get(n)!.tensors.has(name)) throw new SafetensorsError(`${SAFETENSORS_INDEX} puts ${name} in ${n}, which does not hold it`);
  }
  return {
    metadata: files.values().next().value?.metadata ?? {},
    tensors,
    bytes: (name) => {
      const f = owner.get(name);
      if (!f) throw new SafetensorsError(`no tensor named ${name} in the shards`);
      return f.bytes(name);
    },
  };
}
