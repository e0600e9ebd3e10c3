// dm-agent: the lab command line. One verb per module under lab/commands/.
import { DmError } from '../agent/errors.js';
import { UsageError } from './args.js';
import { encodeCommand, decodeCommand } from './commands/codec.js';
import { alertCommand } from './commands/alert.js';

const USAGE = `usage: dm-agent <verb> [options]
  encode --wbxml FILE        XML in, WBXML out on stdout
  decode FILE                WBXML or XML in, indented XML out
  alert --device FILE --trigger user|device [--component ID] [--wbxml]
                             print the package 1 the agent would send (no network)
  serve [--http PORT] [--mqtt URL] [--catalog FILE] [--scenario FILE]
                             start the lab DM server
  run --device FILE [--server URL] [--transport http|mqtt] [--encoding xml|wbxml]
      --trigger user|device [--component ID] [--answers FILE] [--trace FILE]
                             run one session against a DM server; exit 0 when it ended well
  device --device FILE       run the agent as a device: button and schedule armed, screen in the terminal
  demo [--answers FILE]      lab server + embedded MQTT broker + one simulated device (npm start)
  fleet --devices N --server URL|inproc [--trigger device|user|schedule] [...]
                             N simulated agents, each with its own credentials, against a DM server
  fleet --devices N --write-accounts FILE
                             the accounts table a server needs for such a fleet`;

type Verb = (argv: string[], out: NodeJS.WritableStream) => number | Promise<number>;

async function lazy(mod: string, fn: string): Promise<Verb> {
  const m = await import(mod) as Record<string, Verb>;
  return m[fn]!;
}

const VERBS: Record<string, () => Promise<Verb>> = {
  encode: async () => encodeCommand,
  decode: async () => decodeCommand,
  alert: async () => alertCommand,
  serve: () => lazy('./commands/serve.js', 'serveCommand'),
  run: () => lazy('./commands/run.js', 'runCommand'),
  device: () => lazy('./commands/device.js', 'deviceCommand'),
  demo: () => lazy('./commands/demo.js', 'demoCommand'),
  fleet: () => lazy('./commands/fleet.js', 'fleetCommand'),
};

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === 'help') {
    (verb ? out : err).write(USAGE + '\n');
    return verb ? 0 : 2;
  }
  const load = VERBS[verb];
  if (!load) {
    err.write(`dm-agent: unknown verb '${verb}'\n${USAGE}\n`);
    return 2;
  }
  try {
    return await (await load())(rest, out);
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`dm-agent ${verb}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof DmError) {
      err.write(`dm-agent ${verb}: ${e.message} [${e.code}, DM status ${e.status}]\n`);
      return 1;
    }
    err.write(`dm-agent ${verb}: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
