// Where WGSL comes from. The library asks for shaders by name ('matmul' -> shaders/matmul.wgsl);
// the platform entry decides how names become text: Node reads shaders/ from disk, the browser
// bundle carries them inlined by esbuild. Either way this is the only loading path.
//
// A shader may pull in a shared helper file with a line `//!include philox.wgsl`; each file is
// included once, and compiler line numbers are mapped back to the file they came from.
//
// Activation storage type: every shader is compiled with a first line that names the type its
// activation bindings hold, `alias act = f32;` or (the f16 variant, needs shader-f16)
// `enable f16; alias act = f16;`. A shader declares activations as `array<act>` / `array<vec4<act>>`,
// reads them through f32(...) / vec4<f32>(...) and writes act(...), so one text serves both and
// all arithmetic stays f32. Parameters, statistics and workgroup memory are always f32.

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

/** The element type of a shader's activation bindings. */
export type ActType = 'f32' | 'f16';

const HEADER: Record<ActType, string[]> = { f32: ['alias act = f32;'], f16: ['enable f16;', 'alias act = f16;'] };
// WGSL wants directives (`enable subgroups;`) before every declaration: they move to the top.
const DIRECTIVE = /^\s*(enable|requires|diagnostic)\b/;

export function loadShader(name: string, act: ActType = 'f32'): ShaderSource {
  const key = `${name}:${act}`;
  const cached = cache.get(key);
  if (cached) return cached;
  if (!loader) throw new Error('No shader loader is set: call init() from webgpu-bert before running kernels.');
  const lines: string[] = [...HEADER[act]];
  const origins = lines.map((_, i) => ({ file: `(${act} header)`, line: i + 1 }));
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
  const order = lines.map((_, i) => i);
  order.sort((i, j) => Number(!DIRECTIVE.test(lines[i])) - Number(!DIRECTIVE.test(lines[j])) || i - j);
  const source: ShaderSource = {
    name,
    code: order.map((i) => lines[i]).join('\n'),
    origin: (line) => origins[order[line - 1]] ?? { file: `${name}.wgsl`, line },
  };
  cache.set(key, source);
  return source;
}
