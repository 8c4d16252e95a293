// Command-line options for the demos: `--name value`, `--name=value` and bare `--flag`, checked
// against a table of defaults (numbers stay numbers, strings stay strings, booleans are flags),
// with `--help` printing the table. `--smoke` swaps in a second table: the tiny configuration the
// test suite runs (a few steps on a few hundred examples) so CI proves each demo end to end.

export type OptionValue = number | string | boolean | undefined;

export interface OptionSpec<T extends OptionValue = OptionValue> {
  value: T;
  help: string;
}

type Specs = Record<string, OptionSpec>;
type Values<S extends Specs> = { [K in keyof S]: S[K]['value'] };

export interface ParsedArgs<S extends Specs> {
  options: Values<S> & { smoke: boolean };
  /** Names given on the command line (so a smoke run still honours them). */
  given: Set<string>;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Parses process.argv for a demo. `smoke` overrides defaults under --smoke (or DEMO_SMOKE=1);
 * options given explicitly win over both.
 */
export function parseArgs<S extends Specs>(usage: string, specs: S, smoke: Partial<Values<S>> = {}, argv = process.argv.slice(2)): ParsedArgs<S> {
  const byFlag = new Map(Object.keys(specs).map((k) => [kebab(k), k]));
  const given = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(helpText(usage, specs));
      process.exit(0);
    }
    if (!arg.startsWith('--')) fail(`unexpected argument ${JSON.stringify(arg)}`, usage, specs);
    const [flag, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (flag === 'smoke') {
      given.set('smoke', true);
      continue;
    }
    const key = byFlag.get(flag);
    if (!key) fail(`unknown option --${flag}`, usage, specs);
    if (typeof specs[key].value === 'boolean') {
      given.set(key, inline === undefined ? true : inline);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) fail(`--${flag} needs a value`, usage, specs);
    given.set(key, value);
  }
  const isSmoke = given.has('smoke') || process.env.DEMO_SMOKE === '1';
  const options: Record<string, OptionValue> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fallback = isSmoke && key in smoke ? (smoke as Record<string, OptionValue>)[key] : spec.value;
    const raw = given.get(key);
    options[key] = raw === undefined ? fallback : convert(key, raw, spec.value, usage, specs);
  }
  options.smoke = isSmoke;
  return { options: options as Values<S> & { smoke: boolean }, given: new Set(given.keys()) };
}

function convert(key: string, raw: string | true, like: OptionValue, usage: string, specs: Specs): OptionValue {
  if (typeof like === 'boolean') {
    if (raw === true || raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    fail(`--${kebab(key)} is a flag (true or false), got ${JSON.stringify(raw)}`, usage, specs);
  }
  if (typeof like === 'number') {
    const n = Number(raw);
    if (raw === true || raw.trim() === '' || !Number.isFinite(n)) fail(`--${kebab(key)} needs a number, got ${JSON.stringify(raw)}`, usage, specs);
    return n;
  }
  return String(raw);
}

function helpText(usage: string, specs: Specs): string {
  const rows = Object.entries(specs).map(([k, s]) => {
    const name = `--${kebab(k)}${typeof s.value === 'boolean' ? '' : ' <value>'}`;
    return `  ${name.padEnd(26)} ${s.help}${s.value !== undefined && s.value !== '' && typeof s.value !== 'boolean' ? ` (default ${s.value})` : ''}`;
  });
  return [usage, '', 'Options:', ...rows, `  ${'--smoke'.padEnd(26)} a tiny configuration (a few steps) that proves the demo runs end to end`].join('\n');
}

function fail(message: string, usage: string, specs: Specs): never {
  console.error(`error: ${message}\n\n${helpText(usage, specs)}`);
  process.exit(2);
}

/** Throws unless `value` is an integer in [min, max]: options that size loops are checked before any work. */
export function checkInteger(name: string, value: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${kebab(name)} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}], got ${value}`);
  }
  return value;
}
