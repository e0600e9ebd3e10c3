// `dm-agent fleet --devices N --server URL|inproc [--transport http|mqtt] [--broker URL] [--device FILE]
//  [--sessions K] [--concurrency C] [--ramp SECONDS] [--trigger device|user] [--encoding xml|wbxml] [--json]`:
// N simulated agents in one process against a DM server, then a summary. `--server inproc` starts the lab
// server in this process, with the packages read from its catalog in process too, and measures the agent's
// and the server's work alone (no socket).
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../server/catalog.js';
import { startLab } from '../server/lab.js';
import { parseDevices } from '../server/auth.js';
import { runFleet, type FleetOptions, type FleetSummary } from '../fleet/fleet.js';
import { InprocPackages } from '../fleet/inproc-packages.js';
import { parseArgs, need, oneOf, str, int, UsageError } from '../args.js';
import { loadDevice } from './alert.js';

const here = dirname(fileURLToPath(import.meta.url));

export function formatSummary(s: FleetSummary): string {
  const lines = [
    `${s.devices} devices, ${s.sessions} sessions in ${s.seconds.toFixed(2)} s: ${s.sessionsPerS.toFixed(0)} sessions/s; ${s.ok} ok, ${s.failed} failed`,
    `${s.dmSessions} DM sessions on the server (an installed update adds one for its result): ${s.dmSessionsPerS.toFixed(0)}/s`,
    `latency ms: p50 ${s.latencyMs.p50.toFixed(1)}, p90 ${s.latencyMs.p90.toFixed(1)}, p99 ${s.latencyMs.p99.toFixed(1)}, max ${s.latencyMs.max.toFixed(1)}`,
    `${s.roundTrips} round trips, ${s.bytesSent} B sent, ${s.bytesReceived} B received; boot of the fleet ${s.bootSeconds.toFixed(2)} s; heap ${s.heapMB.toFixed(0)} MB, RSS ${s.rssMB.toFixed(0)} MB (peak ${s.peakRssMB.toFixed(0)} MB)`,
  ];
  for (const [cause, n] of Object.entries(s.failures).sort((a, b) => b[1] - a[1])) lines.push(`  failed ×${n}: ${cause}`);
  for (const [what, n] of Object.entries(s.serverDeviations ?? {}).sort((a, b) => b[1] - a[1])) lines.push(`  lab server deviation ×${n}: ${what}`);
  return lines.join('\n') + '\n';
}

export async function fleetCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const args = parseArgs(argv, { values: ['devices', 'server', 'transport', 'broker', 'device', 'sessions', 'concurrency', 'ramp', 'trigger', 'encoding', 'catalog'], booleans: ['json'] });
  const devices = int(args, 'devices', 0);
  if (devices < 1) throw new UsageError('--devices N (N ≥ 1) is required');
  const server = need(args, 'server');
  const transport = oneOf(args, 'transport', ['http', 'mqtt'] as const, 'http');
  const template = loadDevice(str(args, 'device') ?? join(here, '../examples/device.json'));
  const common = {
    template, devices, sessionsPerDevice: Math.max(1, int(args, 'sessions', 1)), concurrency: Math.max(1, int(args, 'concurrency', 64)),
    rampSeconds: int(args, 'ramp', 0), trigger: oneOf(args, 'trigger', ['device', 'user'] as const, 'device'),
    encoding: oneOf(args, 'encoding', ['xml', 'wbxml'] as const, 'xml'),
  };
  let summary: FleetSummary;
  if (server === 'inproc') {
    const a = template.account.auth;
    const catalog = loadCatalog(str(args, 'catalog') ?? join(here, '../examples/catalog.json'));
    const lab = await startLab({ catalog,
      devices: parseDevices([{ username: a.username, password: a.password, auth: a.type, ...(a.nonce !== undefined ? { nonce: a.nonce } : {}) }]) });
    try {
      summary = await runFleet({ ...common, target: { kind: 'inproc', server: lab.server, url: lab.dmUrl, packages: new InprocPackages(catalog, lab.packagesUrl) } });
    } finally {
      await lab.close();
    }
  } else {
    if (transport === 'mqtt' && !str(args, 'broker')) throw new UsageError('--transport mqtt needs --broker URL');
    const target: FleetOptions['target'] = transport === 'mqtt' ? { kind: 'mqtt', url: server, brokerUrl: str(args, 'broker')! } : { kind: 'http', url: server };
    summary = await runFleet({ ...common, target });
  }
  out.write(args.flags.has('json') ? JSON.stringify(summary) + '\n' : formatSummary(summary));
  return summary.failed === 0 && Object.keys(summary.serverDeviations ?? {}).length === 0 ? 0 : 1;
}
