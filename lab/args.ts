// Minimal flag parser for the CLI: --name value, --flag, and positionals. Unknown flags are errors.
import { isUrlOf } from '../agent/util/scan.js';
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: { values: string[]; booleans: string[] }): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) { positionals.push(a); continue; }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (spec.booleans.includes(name)) { flags.set(name, true); continue; }
    if (!spec.values.includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { positionals, flags };
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function need(args: ParsedArgs, name: string): string {
  const v = str(args, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

export function oneOf<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], dflt?: T): T {
  const v = str(args, name) ?? dflt;
  if (v === undefined) throw new UsageError(`--${name} is required (${allowed.join('|')})`);
  if (!allowed.includes(v as T)) throw new UsageError(`--${name} must be one of ${allowed.join('|')}, not '${v}'`);
  return v as T;
}

export function int(args: ParsedArgs, name: string, dflt: number): number {
  const v = str(args, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, not '${v}'`);
  return n;
}

/**
 * --server: the DM server's address, as the device description's account.serverUri would be. Over HTTP it is
 * where the messages go, so http(s) only; over MQTT it names the server (the broker is --broker).
 */
export function serverOption(args: ParsedArgs, transport: 'http' | 'mqtt'): string | undefined {
  const v = str(args, 'server');
  if (v === undefined) return undefined;
  if (transport === 'http' && !isUrlOf(v, ['http', 'https'])) throw new UsageError(`--server must be an http:// or https:// URL with --transport http, not '${v}'`);
  if (!isUrlOf(v, ['http', 'https', 'mqtt', 'mqtts'])) throw new UsageError(`--server must be an http(s):// or mqtt(s):// URL, not '${v}'`);
  return v;
}

export function brokerOption(args: ParsedArgs): string | undefined {
  const v = str(args, 'broker');
  if (v !== undefined && !isUrlOf(v, ['mqtt', 'mqtts'])) throw new UsageError(`--broker must be an mqtt:// or mqtts:// URL, not '${v}'`);
  return v;
}
