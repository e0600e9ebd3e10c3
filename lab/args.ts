// The CLI's one option parser. Each verb declares a spec (defineVerb): its name, what it does, its options with
// their type, default and description, and its positional arguments. parse() takes that spec and the command
// line, refuses what the spec does not name (a usage error naming the nearest known option), converts the
// values and returns them typed; verbUsage() and the reference page (lab/cli-docs.ts) are made from the same
// spec, so what a verb accepts, what --help says and what docs/cli.md says cannot drift apart.
import { isUrlOf } from '../agent/util/scan.js';

/** A mistake on the command line: the CLI prints it after the verb's name and exits 2. */
export class UsageError extends Error {}

/** `--help` (or `-h`) was given: the CLI prints the verb's usage and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly spec: VerbSpec) {
    super(`help for ${spec.name}`);
  }
}

interface OptionBase {
  description: string;
  /** The value's placeholder in usage text (FILE, URL, N); choices show as a|b|c. */
  value?: string;
  required?: boolean;
  /** What an absent option means, when no fixed default says it (shown in usage, not applied). */
  defaultText?: string;
}

export type OptionSpec =
  | (OptionBase & { type: 'string'; default?: string; check?: (v: string) => string | undefined })
  | (OptionBase & { type: 'boolean' })
  | (OptionBase & { type: 'int'; default?: number; min?: number; max?: number })
  | (OptionBase & { type: 'number'; default?: number; above?: number })
  | (OptionBase & { type: 'choice'; choices: readonly string[]; default?: string });

export interface ArgSpec {
  name: string;
  description: string;
  /** May be left out (after the required ones); usage shows it in brackets. */
  optional?: boolean;
}

export interface VerbSpec {
  name: string;
  /** One line, for `dm-agent --help`. */
  summary: string;
  /** Paragraphs after the summary, for the verb's --help and docs/cli.md. */
  description?: readonly string[];
  /** Synopses when the verb has several forms; otherwise one is made from the required options. */
  forms?: readonly string[];
  args?: readonly ArgSpec[];
  options: Readonly<Record<string, OptionSpec>>;
}

/** Keeps a spec's literal types (choices, defaults), from which parse() types its result. */
export function defineVerb<const S extends VerbSpec>(spec: S): S {
  return spec;
}

type Value<O> = O extends { type: 'boolean' }
  ? boolean
  : O extends { type: 'int' | 'number' }
    ? number
    : O extends { choices: readonly (infer C extends string)[] }
      ? C
      : string;
type AlwaysSet<O> = O extends { type: 'boolean' }
  ? true
  : O extends { required: true }
    ? true
    : O extends { default: unknown }
      ? true
      : false;

export type Options<S extends VerbSpec> = {
  -readonly [K in keyof S['options']]: AlwaysSet<S['options'][K]> extends true
    ? Value<S['options'][K]>
    : Value<S['options'][K]> | undefined;
};

export interface Parsed<S extends VerbSpec> {
  options: Options<S>;
  /** The positional arguments, in the spec's order. */
  args: string[];
  /** The options given on the command line (a default fills an absent one, and is not "given"). */
  given: ReadonlySet<string>;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate nearest to a mistyped name: by edit distance, where a name that begins the other (--broker for
 * --broker-port) counts as one edit; the first one on a tie.
 */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(name) || name.startsWith(c) ? Math.min(1, distance(name, c)) : distance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function convert(name: string, o: OptionSpec, v: string): string | number {
  switch (o.type) {
    case 'choice':
      if (!o.choices.includes(v)) throw new UsageError(`--${name} must be one of ${o.choices.join('|')}, not '${v}'`);
      return v;
    case 'int': {
      const n = Number(v);
      if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, not '${v}'`);
      if (o.min !== undefined && n < o.min) throw new UsageError(`--${name} must be at least ${o.min}, not ${n}`);
      if (o.max !== undefined && n > o.max) throw new UsageError(`--${name} must be at most ${o.max}, not ${n}`);
      return n;
    }
    case 'number': {
      const n = Number(v);
      const above = o.above ?? -Infinity;
      if (v.trim() === '' || !Number.isFinite(n) || !(n > above))
        throw new UsageError(`--${name} must be a number${o.above !== undefined ? ` > ${o.above}` : ''}, not '${v}'`);
      return n;
    }
    case 'string': {
      const problem = o.check?.(v);
      if (problem) throw new UsageError(`--${name} ${problem}, not '${v}'`);
      return v;
    }
    case 'boolean':
      return v;
  }
}

/**
 * Reads `--name value`, `--name=value`, `--flag` and positionals as the spec says; `--help` or `-h` anywhere
 * throws HelpRequested. Unknown options, missing values, wrong types, missing required options and
 * positionals are UsageErrors.
 */
export function parse<const S extends VerbSpec>(spec: S, argv: readonly string[]): Parsed<S> {
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const args: string[] = [];
  const names = Object.keys(spec.options);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') throw new HelpRequested(spec);
    if (!a.startsWith('--')) {
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const o = spec.options[name];
    if (!o) throw new UsageError(`unknown option --${name} (did you mean --${nearest(name, [...names, 'help'])}?)`);
    given.add(name);
    if (o.type === 'boolean') {
      values[name] = true;
      continue;
    }
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value`);
    values[name] = convert(name, o, v);
  }
  for (const [name, o] of Object.entries(spec.options)) {
    if (name in values) continue;
    if (o.type === 'boolean') values[name] = false;
    else if (o.default !== undefined) values[name] = o.default;
    else if (o.required) throw new UsageError(`--${name} ${placeholder(o)} is required`);
  }
  const expected = spec.args ?? [];
  const required = expected.filter((a) => !a.optional).length;
  if (args.length < required) {
    const missing = expected[args.length]!;
    throw new UsageError(`give ${missing.name}: ${missing.description}`);
  }
  if (args.length > expected.length) throw new UsageError(`unexpected argument '${args[expected.length]}'`);
  return { options: values as Options<S>, args, given };
}

/** How a value shows in usage: its placeholder, or its choices. */
export function placeholder(o: OptionSpec): string {
  if (o.type === 'boolean') return '';
  if (o.type === 'choice') return o.value ?? o.choices.join('|');
  return o.value ?? (o.type === 'int' || o.type === 'number' ? 'N' : 'VALUE');
}

/** `--name VALUE`, or `--flag`. */
export function optionSynopsis(name: string, o: OptionSpec): string {
  const p = placeholder(o);
  return p ? `--${name} ${p}` : `--${name}`;
}

/** What an absent option means, in words; undefined when nothing is said. */
export function defaultOf(o: OptionSpec): string | undefined {
  if (o.defaultText !== undefined) return o.defaultText;
  if (o.type === 'boolean' || o.default === undefined) return undefined;
  return String(o.default);
}

/** The verb's synopses: its forms, or the required options and positionals then [options]. */
export function synopses(spec: VerbSpec): string[] {
  if (spec.forms) return spec.forms.map((f) => `dm-agent ${spec.name} ${f}`);
  const required = Object.entries(spec.options)
    .filter(([, o]) => o.required)
    .map(([n, o]) => optionSynopsis(n, o));
  const optional = Object.values(spec.options).some((o) => !o.required) ? ['[options]'] : [];
  return [
    ['dm-agent', spec.name, ...required, ...optional, ...(spec.args ?? []).map((a) => (a.optional ? `[${a.name}]` : a.name))].join(' '),
  ];
}

/** Words to lines of at most `width` characters, each after `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The text `dm-agent <verb> --help` prints. */
export function verbUsage(spec: VerbSpec): string {
  const lines = synopses(spec).map((s, i) => `${i === 0 ? 'usage: ' : '       '}${s}`);
  lines.push('', ...wrap(spec.summary, 100));
  for (const p of spec.description ?? []) lines.push('', ...wrap(p, 100));
  const rows: [string, string][] = [
    ...(spec.args ?? []).map((a): [string, string] => [a.name, a.description]),
    ...Object.entries(spec.options).map(([n, o]): [string, string] => {
      const d = defaultOf(o);
      return [optionSynopsis(n, o), `${o.description}${o.required ? ' (required)' : ''}${d !== undefined ? ` (default: ${d})` : ''}`];
    }),
    ['--help', 'this text'],
  ];
  const col = Math.min(30, Math.max(...rows.map(([l]) => l.length)) + 2);
  lines.push('', 'options:');
  for (const [left, text] of rows) {
    const body = wrap(text, 100, ' '.repeat(col + 2));
    const first = body[0]!.trimStart();
    if (left.length + 2 <= col) lines.push(`  ${left.padEnd(col)}${first}`, ...body.slice(1));
    else lines.push(`  ${left}`, `  ${' '.repeat(col)}${first}`, ...body.slice(1));
  }
  return `${lines.join('\n')}\n`;
}

/** For check: a URL whose scheme is one of these (the message names them). */
export function urlOf(schemes: readonly string[], others: readonly string[] = []): (v: string) => string | undefined {
  const words = [...others, `an ${schemes.map((s) => `${s}://`).join(' or ')} URL`];
  return (v) => (others.includes(v) || isUrlOf(v, [...schemes]) ? undefined : `must be ${words.join(' or ')}`);
}

/**
 * --server: the DM server's address, as the device description's account.serverUri would be. Over HTTP it is
 * where the messages go, so http(s) only; over MQTT it names the server (the broker is --broker).
 */
export function serverOption(v: string | undefined, transport: 'http' | 'mqtt'): string | undefined {
  if (v === undefined) return undefined;
  if (transport === 'http' && !isUrlOf(v, ['http', 'https']))
    throw new UsageError(`--server must be an http:// or https:// URL with --transport http, not '${v}'`);
  if (!isUrlOf(v, ['http', 'https', 'mqtt', 'mqtts'])) throw new UsageError(`--server must be an http(s):// or mqtt(s):// URL, not '${v}'`);
  return v;
}

/** A verb as the CLI runs it: its spec, and what it does (its exit code). */
export interface Verb {
  spec: VerbSpec;
  run(argv: string[], out: NodeJS.WritableStream, err?: NodeJS.WritableStream): number | Promise<number>;
}
