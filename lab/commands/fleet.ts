// `dm-agent fleet --devices N --server URL|inproc [--transport http|mqtt] [--broker URL] [--device FILE]
//  [--accounts per-device|shared] [--sessions K] [--concurrency C] [--ramp SECONDS]
//  [--trigger device|user|schedule] [--speed X] [--encoding xml|wbxml] [--json]`:
// N simulated agents in one process against a DM server, then a summary. `--server inproc` starts the lab
// server in this process, with the packages read from its catalog in process too, and measures the agent's
// and the server's work alone (no socket). `dm-agent fleet --devices N --write-accounts FILE` writes the
// accounts table a server needs for those devices (the lab server's `--devices` format) and runs nothing.
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../server/catalog.js';
import { startLab } from '../server/lab.js';
import { parseDevices } from '../server/auth.js';
import { runFleet, DEFAULT_SPEED, type FleetOptions, type FleetSummary } from '../fleet/fleet.js';
import { fleetAccounts } from '../fleet/accounts.js';
import { planJitterMinutes } from '../../agent/triggers/schedule.js';
import { InprocPackages } from '../fleet/inproc-packages.js';
import { brokerOption, parseArgs, oneOf, serverOption, str, int, UsageError, type ParsedArgs } from '../args.js';
import { loadDevice } from './alert.js';

const here = dirname(fileURLToPath(import.meta.url));

export function formatSummary(s: FleetSummary): string {
  const lines = [
    `${s.devices} devices, ${s.sessions} sessions in ${s.seconds.toFixed(2)} s: ${s.sessionsPerS.toFixed(0)} sessions/s; ${s.ok} ok, ${s.failed} failed`,
    `${s.dmSessions} DM sessions on the server (an installed update adds one for its result): ${s.dmSessionsPerS.toFixed(0)}/s`,
    `latency ms: p50 ${s.latencyMs.p50.toFixed(1)}, p90 ${s.latencyMs.p90.toFixed(1)}, p99 ${s.latencyMs.p99.toFixed(1)}, max ${s.latencyMs.max.toFixed(1)}; at most ${s.peakInFlight} in flight`,
    `${s.roundTrips} round trips, ${s.bytesSent} B sent, ${s.bytesReceived} B received; boot of the fleet ${s.bootSeconds.toFixed(2)} s; heap ${s.heapMB.toFixed(0)} MB, RSS ${s.rssMB.toFixed(0)} MB (peak ${s.peakRssMB.toFixed(0)} MB)`,
  ];
  if (s.schedule) {
    const sessionMinutes = (s.latencyMs.p50 * s.schedule.speed) / 60000;
    lines.push(`schedules: ${s.schedule.simulatedMinutes.toFixed(0)} simulated minutes at ${s.schedule.speed}× real time; busiest simulated minute: ${s.schedule.peakStartsPerSimulatedMinute} checks started; a session's median is ${sessionMinutes.toFixed(1)} simulated minutes`);
    // Sessions keep real time: sped up, a slow one pushes every later check of its device out by its length.
    if (sessionMinutes > s.schedule.intervalMinutes / 10) {
      lines.push(`  warning: that is over a tenth of the ${s.schedule.intervalMinutes}-minute interval, so the schedules ran late; a lower --speed (or fewer devices per process) keeps their shape`);
    }
  }
  for (const [cause, n] of Object.entries(s.failures).sort((a, b) => b[1] - a[1])) lines.push(`  failed ×${n}: ${cause}`);
  for (const [what, n] of Object.entries(s.serverDeviations ?? {}).sort((a, b) => b[1] - a[1])) lines.push(`  lab server deviation ×${n}: ${what}`);
  return lines.join('\n') + '\n';
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

function atLeastOne(args: ParsedArgs, name: string, dflt: number): number {
  const n = int(args, name, dflt);
  if (n < 1) throw new UsageError(`--${name} must be at least 1, not ${n}`);
  return n;
}

export async function fleetCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const args = parseArgs(argv, { values: ['devices', 'server', 'transport', 'broker', 'device', 'accounts', 'sessions', 'concurrency', 'ramp', 'trigger', 'speed', 'encoding', 'catalog', 'write-accounts'], booleans: ['json'] });
  const devices = int(args, 'devices', 0);
  if (devices < 1) throw new UsageError('--devices N (N ≥ 1) is required');
  const template = loadDevice(str(args, 'device') ?? join(here, '../examples/device.json'));
  const accounts = oneOf(args, 'accounts', ['per-device', 'shared'] as const, 'per-device');
  const accountsFile = str(args, 'write-accounts');
  if (accountsFile) {
    writeFileSync(accountsFile, JSON.stringify(fleetAccounts(template, devices, accounts), null, 1) + '\n');
    out.write(`${accounts === 'shared' ? 1 : devices} account(s) for ${devices} devices written to ${accountsFile}; serve them with: dm-agent serve --devices ${accountsFile}\n`);
    return 0;
  }
  const transport = oneOf(args, 'transport', ['http', 'mqtt'] as const, 'http');
  const server = str(args, 'server') === 'inproc' ? 'inproc' : serverOption(args, transport);
  if (server === undefined) throw new UsageError('--server URL|inproc is required');
  const broker = brokerOption(args);
  const trigger = oneOf(args, 'trigger', ['device', 'user', 'schedule'] as const, 'device');
  if (trigger === 'schedule') {
    for (const n of ['concurrency', 'ramp']) if (args.flags.has(n)) throw new UsageError(`--${n} does not apply to --trigger schedule: each device starts its checks when its schedule says`);
    if (!template.schedule) throw new UsageError('--trigger schedule needs a device template with a "schedule"');
  } else if (args.flags.has('speed')) throw new UsageError('--speed applies to --trigger schedule only');
  const speed = str(args, 'speed') === undefined ? DEFAULT_SPEED : Number(str(args, 'speed'));
  if (!(Number.isFinite(speed) && speed > 0)) throw new UsageError(`--speed must be a number > 0, not '${str(args, 'speed')}'`);
  const common = {
    template, devices, accounts, sessionsPerDevice: atLeastOne(args, 'sessions', 1), concurrency: atLeastOne(args, 'concurrency', 64),
    rampSeconds: int(args, 'ramp', 0), trigger, speed,
    encoding: oneOf(args, 'encoding', ['xml', 'wbxml'] as const, 'xml'),
    ...progress(process.stderr),
  };
  if (trigger === 'schedule' && !args.flags.has('json')) {
    // A day's schedule takes tens of seconds even fast: say when the first checks come.
    const { intervalMinutes } = template.schedule!;
    const jitterMinutes = planJitterMinutes(template.schedule!);
    const at = (minutes: number) => `${((minutes * 60000) / speed / 1000).toFixed(1)} s`;
    out.write(`${devices} devices on their schedules at ${speed}× real time: first checks due ${intervalMinutes}–${intervalMinutes + jitterMinutes} simulated minutes from now (${at(intervalMinutes)}–${at(intervalMinutes + jitterMinutes)})\n`);
  }
  let summary: FleetSummary;
  if (server === 'inproc') {
    const catalog = loadCatalog(str(args, 'catalog') ?? join(here, '../examples/catalog.json'));
    const lab = await startLab({ catalog, devices: parseDevices(fleetAccounts(template, devices, accounts)) });
    try {
      summary = await runFleet({ ...common, target: { kind: 'inproc', server: lab.server, url: lab.dmUrl, packages: new InprocPackages(catalog, lab.packagesUrl) } });
    } finally {
      await lab.close();
    }
  } else {
    if (transport === 'mqtt' && !broker) throw new UsageError('--transport mqtt needs --broker URL');
    const target: FleetOptions['target'] = transport === 'mqtt' ? { kind: 'mqtt', url: server, brokerUrl: broker! } : { kind: 'http', url: server };
    summary = await runFleet({ ...common, target });
  }
  out.write(args.flags.has('json') ? JSON.stringify(summary) + '\n' : formatSummary(summary));
  return summary.failed === 0 && Object.keys(summary.serverDeviations ?? {}).length === 0 ? 0 : 1;
}
