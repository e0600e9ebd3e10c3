// `dm-agent fleet`: N simulated agents in one process against a DM server, then a summary; or the accounts
// table a server needs for them.
import { closeSync, openSync, writeSync } from 'node:fs';
import { loadCatalog } from '../server/catalog.js';
import { startLab, type RunningLab } from '../server/lab.js';
import { parseDevices, type DeviceAccount } from '../server/auth.js';
import type { Catalog } from '../server/catalog.js';
import { withDefined } from '../../agent/util/options.js';
import { runFleet, DEFAULT_SPEED, type FleetOptions, type FleetSummary } from '../fleet/fleet.js';
import { fleetAccountEntries, fleetAccounts, type FleetAccounts } from '../fleet/accounts.js';
import type { DeviceDescription } from '../../agent/description/description.js';
import { planJitterMinutes } from '../../agent/triggers/schedule.js';
import { InprocPackages } from '../fleet/inproc-packages.js';
import { defineVerb, parse, serverOption, UsageError, type Verb } from '../args.js';
import { DEVICE_OPTIONS, ENCODING_OPTION, exampleFile, loadDevice } from './common.js';
import { LabConsole } from '../console/console.js';

/** More devices than one process can simulate, or than a server's accounts table should hold in one file. */
export const MAX_DEVICES = 1_000_000;

/**
 * The accounts table, as JSON.stringify(table, null, 1) would write it, written an entry at a time: memory stays
 * bounded whatever --devices is.
 */
function writeAccounts(file: string, template: DeviceDescription, devices: number, accounts: FleetAccounts): void {
  const fd = openSync(file, 'w');
  try {
    let chunk = '[';
    let first = true;
    for (const e of fleetAccountEntries(template, devices, accounts)) {
      chunk += `${first ? '' : ','}\n${JSON.stringify(e, null, 1)
        .split('\n')
        .map((l) => ` ${l}`)
        .join('\n')}`;
      first = false;
      if (chunk.length > 1 << 16) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, `${chunk}\n]\n`);
  } finally {
    closeSync(fd);
  }
}

export const fleetSpec = defineVerb({
  name: 'fleet',
  summary: 'N simulated agents, each with its own credentials, against a DM server; or the accounts table a server needs for them',
  description: [
    'Each device has its own tree, DevId <DevId>-<i>, credentials, queue and installed components; the summary gives ' +
      'sessions/s (triggered sessions, and the DM sessions the server sees), latency percentiles, the most sessions in ' +
      'flight, failures by cause and memory. Exit 1 when a session failed or the in-process server saw a deviation.',
    '--server inproc starts the lab server in this process, with the packages read from its catalog in process too, ' +
      "and measures the agent's and the server's work alone (no socket). With --write-accounts it writes the accounts " +
      'table a server needs for those devices (`serve --devices FILE` takes it as it is) and runs nothing. The in-process ' +
      "devices download what the lab's catalog offers at the time, so a version uploaded in the console is found.",
    'With --firmware every device has A/B firmware slots: a firmware update (offered on a check of the whole device, with ' +
      '--trigger user or for a firmware marked autoUpdate) restarts it into the new firmware, whose first session confirms it ' +
      'and reports the result.',
    'The README\'s "Measured" section tells more: credentials, sessions, schedules.',
  ],
  forms: ['--devices N --server URL|inproc [options]', '--devices N --write-accounts FILE [--accounts per-device|shared] [--device FILE]'],
  options: {
    devices: {
      type: 'int',
      value: 'N',
      min: 1,
      max: MAX_DEVICES,
      required: true,
      description: `how many devices (at most ${MAX_DEVICES})`,
    },
    server: {
      type: 'string',
      value: 'URL|inproc',
      description:
        'the DM server (as --server of run), or inproc: the lab server in this process (required unless --write-accounts is given)',
    },
    transport: { type: 'choice', choices: ['http', 'mqtt'], default: 'http', description: 'how the devices reach the server' },
    broker: { ...DEVICE_OPTIONS.broker, defaultText: undefined, description: 'the MQTT broker, required with --transport mqtt' },
    device: {
      ...DEVICE_OPTIONS.device,
      required: false,
      defaultText: 'lab/examples/device.json',
      description: "the devices' template (JSON device description); {i} in its DevId, username or password is replaced by the index",
    },
    accounts: {
      type: 'choice',
      choices: ['per-device', 'shared'],
      default: 'per-device',
      description:
        "per-device: device i logs in as <username>-<i> with <password>-<i>; shared: every device uses the template's credential",
    },
    sessions: { type: 'int', value: 'K', default: 1, min: 1, description: 'sessions per device' },
    concurrency: {
      type: 'int',
      value: 'C',
      default: 64,
      min: 1,
      description: 'workers taking the sessions in turn, one session per device at a time',
    },
    ramp: { type: 'int', value: 'SECONDS', default: 0, description: 'start the sessions over this many seconds' },
    trigger: {
      type: 'choice',
      choices: ['device', 'user', 'schedule'],
      default: 'device',
      description:
        "schedule: each device runs the agent's own check schedule from the template's schedule, until it has made K checks (no --concurrency or --ramp)",
    },
    speed: {
      type: 'number',
      value: 'X',
      above: 0,
      defaultText: `${DEFAULT_SPEED}`,
      description: 'with --trigger schedule: the clock runs X times faster than real time',
    },
    encoding: { ...ENCODING_OPTION, default: 'xml' },
    catalog: {
      type: 'string',
      value: 'FILE',
      defaultText: 'lab/examples/catalog.json; with --firmware lab/examples/catalog-firmware.json',
      description: "the in-process server's catalog, with --server inproc",
    },
    firmware: {
      type: 'boolean',
      description:
        'every device has A/B firmware slots (FUMO): a firmware update restarts it into the new firmware, which confirms itself and reports; ' +
        'a choice is answered with its last option (the lab server\'s "All of them"); the summary counts restarts and the firmware running',
    },
    strict: {
      type: 'boolean',
      description:
        "with --server inproc: the lab server's strict mode, as serve --strict (refuses what it otherwise takes with a deviation)",
    },
    'write-accounts': { type: 'string', value: 'FILE', description: 'write the accounts table for the devices and run nothing' },
    json: { type: 'boolean', description: 'the summary as one JSON object' },
    console: {
      type: 'boolean',
      description:
        "with --server inproc: the lab console on --http, its sessions and devices live, each device's screen drawn in the page and its " +
        'button pressed there; after the run it serves on until Ctrl-C',
    },
    http: {
      type: 'int',
      value: 'PORT',
      default: 8080,
      max: 65535,
      description: "with --console: the lab server's HTTP port (0: any free one)",
    },
    'answer-after': {
      type: 'int',
      value: 'SECONDS',
      default: 5,
      min: 0,
      max: 3600,
      description:
        "with --console: a screen nobody answers in the page within SECONDS gets the fleet's automatic answer, so the fleet never waits for a person",
    },
  },
});

export function formatSummary(s: FleetSummary): string {
  const lines = [
    `${s.devices} devices, ${s.sessions} sessions in ${s.seconds.toFixed(2)} s: ${s.sessionsPerS.toFixed(0)} sessions/s; ${s.ok} ok, ${s.failed} failed`,
    `${s.dmSessions} DM sessions on the server (an installed update adds one for its result): ${s.dmSessionsPerS.toFixed(0)}/s`,
    `latency ms: p50 ${s.latencyMs.p50.toFixed(1)}, p90 ${s.latencyMs.p90.toFixed(1)}, p99 ${s.latencyMs.p99.toFixed(1)}, max ${s.latencyMs.max.toFixed(1)}; at most ${s.peakInFlight} in flight`,
    `${s.roundTrips} round trips, ${s.bytesSent} B sent, ${s.bytesReceived} B received; boot of the fleet ${s.bootSeconds.toFixed(2)} s; heap ${s.heapMB.toFixed(0)} MB, RSS ${s.rssMB.toFixed(0)} MB (peak ${s.peakRssMB.toFixed(0)} MB)`,
  ];
  if (s.schedule) {
    const sessionMinutes = (s.latencyMs.p50 * s.schedule.speed) / 60000;
    lines.push(
      `schedules: ${s.schedule.simulatedMinutes.toFixed(0)} simulated minutes at ${s.schedule.speed}× real time; busiest simulated minute: ${s.schedule.peakStartsPerSimulatedMinute} checks started; a session's median is ${sessionMinutes.toFixed(1)} simulated minutes`,
    );
    // Sessions keep real time: sped up, a slow one pushes every later check of its device out by its length.
    if (sessionMinutes > s.schedule.intervalMinutes / 10) {
      lines.push(
        `  warning: that is over a tenth of the ${s.schedule.intervalMinutes}-minute interval, so the schedules ran late; a lower --speed (or fewer devices per process) keeps their shape`,
      );
    }
  }
  if (s.firmware) {
    const running = Object.entries(s.firmware.running).map(([v, n]) => `${v} ×${n}`);
    const results = Object.entries(s.firmware.serverResults ?? {}).map(([r, n]) => `${r} ×${n}`);
    lines.push(
      `firmware: ${s.firmware.restarts} restarts, ${s.firmware.returned} returned to the previous slot; running now: ${running.join(', ')}` +
        (s.firmware.serverResults ? `; results on the server: ${results.join(', ') || 'none'}` : ''),
    );
  }
  if (s.answers) lines.push(`screens: ${s.answers.page} answered in the page, ${s.answers.automatic} answered by the fleet`);
  for (const [cause, n] of Object.entries(s.failures).sort((a, b) => b[1] - a[1])) lines.push(`  failed ×${n}: ${cause}`);
  for (const [what, n] of Object.entries(s.serverDeviations ?? {}).sort((a, b) => b[1] - a[1]))
    lines.push(`  lab server deviation ×${n}: ${what}`);
  return `${lines.join('\n')}\n`;
}

/** On a terminal, a line that counts sessions as they end (at most four times a second); elsewhere nothing. */
function progress(tty: NodeJS.WriteStream): Pick<FleetOptions, 'onSession'> {
  if (!tty.isTTY) return {};
  let shown = 0;
  return {
    onSession: (done, total) => {
      const now = performance.now();
      if (done < total && now - shown < 250) return;
      shown = now;
      tty.write(`\r${done}/${total} sessions${done === total ? '\n' : ''}`);
    },
  };
}

/**
 * The lab server of `fleet --server inproc`: the fleet's accounts, strict mode when asked (as `serve --strict`),
 * and with `consolePort` the console on that HTTP port; `packages` reads the catalog the lab offers now, the
 * console's uploads included (they stay served once retired).
 */
export async function startFleetLab(o: {
  catalog: Catalog;
  accounts: DeviceAccount[];
  strict?: boolean;
  consolePort?: number;
}): Promise<{ lab: RunningLab; bench?: LabConsole; packages: InprocPackages; close(): Promise<void> }> {
  const bench = o.consolePort !== undefined ? new LabConsole() : undefined;
  await bench?.prepare();
  // bench is made exactly when consolePort is given: both entries or neither.
  const lab = await startLab(
    withDefined(
      { catalog: o.catalog, devices: o.accounts },
      { strict: o.strict ? true : undefined, console: bench?.hooks(), port: bench ? o.consolePort : undefined },
    ),
  );
  bench?.attach(lab, o.catalog);
  const packages = new InprocPackages(o.catalog, lab.packagesUrl, bench && ((name) => bench.uploads.get(name)));
  return withDefined(
    {
      lab,
      packages,
      close: async () => {
        bench?.close();
        await lab.close();
      },
    },
    { bench },
  );
}

export async function fleetCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { options: o, given } = parse(fleetSpec, argv);
  const { devices, accounts, trigger } = o;
  const template = loadDevice(o.device ?? exampleFile('device.json'));
  if (o['write-accounts']) {
    writeAccounts(o['write-accounts'], template, devices, accounts);
    out.write(
      `${accounts === 'shared' ? 1 : devices} account(s) for ${devices} devices written to ${o['write-accounts']}; serve them with: dm-agent serve --devices ${o['write-accounts']}\n`,
    );
    return 0;
  }
  const server = o.server === 'inproc' ? 'inproc' : serverOption(o.server, o.transport);
  if (server === undefined) throw new UsageError('--server URL|inproc is required');
  if (o.console && server !== 'inproc') throw new UsageError('--console needs --server inproc (the lab server in this process)');
  if (given.has('http') && !o.console) throw new UsageError('--http applies to --console only');
  if (given.has('answer-after') && !o.console) throw new UsageError('--answer-after applies to --console only');
  if (o.strict && server !== 'inproc') throw new UsageError('--strict needs --server inproc (the lab server in this process)');
  if (trigger === 'schedule') {
    for (const n of ['concurrency', 'ramp'])
      if (given.has(n))
        throw new UsageError(`--${n} does not apply to --trigger schedule: each device starts its checks when its schedule says`);
    if (!template.schedule) throw new UsageError('--trigger schedule needs a device template with a "schedule"');
  } else if (given.has('speed')) throw new UsageError('--speed applies to --trigger schedule only');
  const speed = o.speed ?? DEFAULT_SPEED;
  const common = withDefined(
    {
      template,
      devices,
      accounts,
      sessionsPerDevice: o.sessions,
      concurrency: o.concurrency,
      rampSeconds: o.ramp,
      trigger,
      speed,
      encoding: o.encoding,
      ...progress(process.stderr),
    },
    { firmware: o.firmware ? true : undefined },
  );
  if (trigger === 'schedule' && !o.json) {
    // A day's schedule takes tens of seconds even fast: say when the first checks come.
    const { intervalMinutes } = template.schedule!;
    const jitterMinutes = planJitterMinutes(template.schedule!);
    const at = (minutes: number) => `${((minutes * 60000) / speed / 1000).toFixed(1)} s`;
    out.write(
      `${devices} devices on their schedules at ${speed}× real time: first checks due ${intervalMinutes}–${intervalMinutes + jitterMinutes} simulated minutes from now (${at(intervalMinutes)}–${at(intervalMinutes + jitterMinutes)})\n`,
    );
  }
  let summary: FleetSummary;
  if (server === 'inproc') {
    const { lab, bench, packages, close } = await startFleetLab(
      withDefined(
        {
          catalog: loadCatalog(o.catalog ?? exampleFile(o.firmware ? 'catalog-firmware.json' : 'catalog.json')),
          accounts: parseDevices(fleetAccounts(template, devices, accounts)),
          strict: o.strict,
        },
        { consolePort: o.console ? o.http : undefined },
      ),
    );
    if (bench) out.write(`lab console at ${bench.url()}\n`);
    try {
      summary = await runFleet(
        withDefined(
          { ...common, target: { kind: 'inproc' as const, server: lab.server, url: lab.dmUrl, packages } },
          {
            console: bench
              ? { sims: bench.sims, answerAfterMs: o['answer-after'] * 1000, closeWith: (fn: () => void) => bench.onClose(fn) }
              : undefined,
          },
        ),
      );
      if (bench) {
        out.write(o.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
        out.write(`the console serves on at ${bench.url()}; Ctrl-C stops it\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        return summary.failed === 0 ? 0 : 1;
      }
    } finally {
      await close();
    }
  } else {
    if (o.transport === 'mqtt' && !o.broker) throw new UsageError('--transport mqtt needs --broker URL');
    const target: FleetOptions['target'] =
      o.transport === 'mqtt' ? { kind: 'mqtt', url: server, brokerUrl: o.broker! } : { kind: 'http', url: server };
    summary = await runFleet({ ...common, target });
  }
  out.write(o.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  return summary.failed === 0 && Object.keys(summary.serverDeviations ?? {}).length === 0 ? 0 : 1;
}

export const fleetVerb: Verb = { spec: fleetSpec, run: fleetCommand };
