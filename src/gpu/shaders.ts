// Where WGSL comes from. The library asks for shaders by name ('matmul' -> shaders/matmul.wgsl);
// the platform entry decides how names become text: Node reads shaders/ from disk, the browser
// bundle carries them inlined by esbuild. Either way this is the only loading path.
//
// A shader may pull in a shared helper file with a line `//!include philox.wgsl`; each file is
// included once, and compiler line numbers are mapped back to the file they came from.

export type ShaderLoader = (file: string) => string;

export interface ShaderSource {
  name: string;
  code: string;
  /** Maps a 1-based line of `code` to the shader file and line it came from. */
  origin(line: number): { file: string; line: number };
}

let loader: ShaderLoader | null = null;
const cache = new Map<string, ShaderSource>();

export function setShaderLoader(l: ShaderLoader): void {
  loader = l;
  cache.clear();
}

/** Registers shader text directly (the browser bundle's map, or shaders written at run time). */
export function shaderLoaderFromMap(map: Record<string, string>): ShaderLoader {
  return (file) => {
    const text = map[file];
    if (text === undefined) throw new Error(`Shader file '${file}' is not in the bundle (known: ${Object.keys(map).join(', ')})`);
    return text;
  };
}

const INCLUDE = /^\s*\/\/!include\s+([\w.-]+\.wgsl)\s*$/;

export function loadShader(name: string): ShaderSource {
  const cached = cache.get(name);
  if (cached) return cached;
  if (!loader) throw new Error('No shader loader is set: call init() from webgpu-bert before running kernels.');
  const lines: string[] = [];
  const origins: { file: string; line: number }[] = [];
  const seen = new Set<string>();
  const expand = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = loader!(file);
    text.split('\n').forEach((line, i) => {
      const m = INCLUDE.exec(line);
      if (m) expand(m[1]);
      else {
        lines.push(line);
        origins.push({ file, line: i + 1 });
      }
    });
  };
  expand(`${name}.wgsl`);
  const source: ShaderSource = {
    name,
    code: lines.join('\n'),
    origin: (line) => origins[line - 1] ?? { file: `${name}.wgsl`, line },
  };
  cache.set(name, source);
  return source;
}
