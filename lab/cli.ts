// dm-agent: the lab command line. One module per verb (or two) under lab/commands/, each with its spec: the
// spec parses the verb's options, answers its --help and makes docs/cli.md (npm run docs:cli).
import { DmError } from '../agent/errors.js';
import { HelpRequested, UsageError, nearest, verbUsage, wrap, type Verb } from './args.js';
import { StateInUseError } from '../platform/node/state-lock.js';
import { EXIT } from './commands/common.js';

/** The verbs, in the order usage lists them; each module is loaded when its verb runs. */
export const VERBS: Record<string, () => Promise<Verb>> = {
  encode: async () => (await import('./commands/codec.js')).encodeVerb,
  decode: async () => (await import('./commands/codec.js')).decodeVerb,
  alert: async () => (await import('./commands/alert.js')).alertVerb,
  serve: async () => (await import('./commands/serve.js')).serveVerb,
  replay: async () => (await import('./commands/replay.js')).replayVerb,
  run: async () => (await import('./commands/run.js')).runVerb,
  device: async () => (await import('./commands/device.js')).deviceVerb,
  demo: async () => (await import('./commands/demo.js')).demoVerb,
  fleet: async () => (await import('./commands/fleet.js')).fleetVerb,
  package: async () => (await import('./commands/package.js')).packageVerb,
  state: async () => (await import('./commands/state.js')).stateVerb,
};

export async function allVerbs(): Promise<Verb[]> {
  return Promise.all(Object.values(VERBS).map((load) => load()));
}

/** The text `dm-agent --help` prints: every verb and what it does. */
export async function usage(): Promise<string> {
  const verbs = await allVerbs();
  const col = Math.max(...verbs.map((v) => v.spec.name.length)) + 2;
  const lines = ['usage: dm-agent <verb> [options]   (dm-agent <verb> --help: its options)', ''];
  for (const { spec } of verbs) {
    const [first, ...more] = wrap(spec.summary, 100, ' '.repeat(col + 2));
    lines.push(`  ${spec.name.padEnd(col)}${first!.trimStart()}`, ...more);
  }
  lines.push(
    '',
    'Errors go to stderr; the exit code is 1 for a failure, 2 for a usage error, 4 for a state folder in use (run has more: docs/cli.md).',
  );
  return `${lines.join('\n')}\n`;
}

export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || (verb === 'help' && rest.length === 0)) {
    (verb ? out : err).write(await usage());
    return verb ? 0 : 2;
  }
  if (verb === 'help') return main([rest[0]!, '--help'], out, err);
  const load = VERBS[verb];
  if (!load) {
    err.write(`dm-agent: unknown verb '${verb}' (did you mean ${nearest(verb, Object.keys(VERBS))}?)\n${await usage()}`);
    return 2;
  }
  try {
    return await (await load()).run(rest, out, err);
  } catch (e) {
    if (e instanceof HelpRequested) {
      out.write(verbUsage(e.spec));
      return 0;
    }
    if (e instanceof UsageError) {
      err.write(`dm-agent ${verb}: ${e.message}\n(dm-agent ${verb} --help lists its options)\n`);
      return 2;
    }
    if (e instanceof StateInUseError) {
      err.write(`dm-agent ${verb}: ${e.message}\n`);
      return EXIT.stateInUse;
    }
    if (e instanceof DmError) {
      err.write(`dm-agent ${verb}: ${e.message} [${e.code}, DM status ${e.status}]\n`);
      return 1;
    }
    err.write(`dm-agent ${verb}: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

/**
 * The command as a process: main() on the command line, its exit code as the process's. A reader that stops
 * early (`dm-agent alert … | head -c 100`) closes the pipe: the process then ends at once with status 0, as
 * Unix tools do, rather than with a stack trace.
 */
export async function runProcess(argv: string[]): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  process.exitCode = await main(argv);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runProcess(process.argv.slice(2));
}
