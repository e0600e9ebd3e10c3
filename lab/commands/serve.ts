// `dm-agent serve [--http PORT] [--host H] [--public-url URL] [--mqtt URL|embedded] [--broker-port N] [--prefix P]
//  [--catalog FILE] [--scenario FILE] [--devices FILE | --user u:p[:auth]] [--server-cred u:p[:auth]] [--server-id ID]
//  [--history N] [--quiet]`:
// the lab DM server until Ctrl-C.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Log } from '../../agent/ports.js';
import { loadCatalog } from '../server/catalog.js';
import { loadScenario } from '../server/scenario.js';
import { parseDevices, type DeviceAccount } from '../server/auth.js';
import { startLab } from '../server/lab.js';
import type { LabDmServer } from '../server/dm-server.js';
import { parseArgs, str, int, UsageError } from '../args.js';
import { isUrlOf } from '../../agent/util/scan.js';

const here = dirname(fileURLToPath(import.meta.url));

function credential(spec: string, what: string): { username: string; password: string; auth: string } {
  const [username, password, auth = 'md5'] = spec.split(':');
  if (!username || !password) throw new UsageError(`${what} '${spec}' must be user:password[:none|basic|md5|hmac]`);
  return { username, password, auth };
}

export function labDevices(devicesFile: string | undefined, user: string | undefined, serverCred: string | undefined): DeviceAccount[] {
  if (devicesFile) return parseDevices(JSON.parse(readFileSync(devicesFile, 'utf8')));
  const users = (user ?? 'dmuser:dmpass:md5').split(',').map((u) => credential(u, '--user'));
  const server = serverCred ? credential(serverCred, '--server-cred') : undefined;
  return parseDevices(users.map((u) => ({ ...u, ...(server ? { server } : {}) })));
}

export async function serveCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const args = parseArgs(argv, { values: ['http', 'host', 'public-url', 'mqtt', 'broker-port', 'prefix', 'catalog', 'scenario', 'devices', 'user', 'server-cred', 'server-id', 'history'], booleans: ['quiet'] });
  const quiet = args.flags.has('quiet');
  const log: Log = {
    log: (level, message) => {
      if (quiet && (level === 'info' || level === 'debug' || level === 'trace')) return;
      out.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`);
    },
  };
  const port = int(args, 'http', 8080);
  if (port > 65535) throw new UsageError(`--http ${port} is not a port number`);
  const history = int(args, 'history', 10000);
  if (history < 1) throw new UsageError('--history N keeps the last N deployments, outcomes, UI answers and deviations: N ≥ 1');
  const mqtt = str(args, 'mqtt');
  if (mqtt !== undefined && mqtt !== 'embedded' && !isUrlOf(mqtt, ['mqtt', 'mqtts'])) throw new UsageError(`--mqtt must be embedded or an mqtt:// or mqtts:// URL, not '${mqtt}'`);
  const catalog = loadCatalog(str(args, 'catalog') ?? join(here, '../examples/catalog.json'));
  const lab = await startLab({
    catalog, devices: labDevices(str(args, 'devices'), str(args, 'user'), str(args, 'server-cred')), port, host: str(args, 'host') ?? '127.0.0.1',
    ...(str(args, 'public-url') ? { publicUrl: str(args, 'public-url')! } : {}),
    ...(str(args, 'server-id') ? { serverId: str(args, 'server-id')! } : {}),
    ...(str(args, 'scenario') ? { scenario: loadScenario(str(args, 'scenario')!) } : {}),
    ...(mqtt ? { mqtt } : {}),
    ...(str(args, 'broker-port') ? { brokerPort: int(args, 'broker-port', 0) } : {}),
    ...(str(args, 'prefix') ? { prefix: str(args, 'prefix')! } : {}),
    historyLimit: history,
    log,
  });
  out.write(`lab DM server: POST ${lab.dmUrl}; packages at ${lab.packagesUrl}; ${catalog.entries.length} catalog entries\n`);
  if (lab.brokerUrl) out.write(`MQTT binding on ${lab.brokerUrl}: ${str(args, 'prefix') ? str(args, 'prefix') + '/' : ''}dm/<DevId>/up → …/down, …/notify\n`);
  out.write('Ctrl-C stops it.\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await lab.close();
  out.write(serveSummary(lab.server));
  return 0;
}

/**
 * What the server saw, printed when it stops: sessions, devices, updates and their results, and the
 * deviations by kind (numbers masked, most frequent first), so a day in the lab ends with what went wrong.
 */
export function serveSummary(server: LabDmServer): string {
  const t = server.totals();
  const lines = [`lab DM server stopped: ${t.sessions} DM session(s) from ${t.devices} authenticated device(s); ` +
    `${t.deployments} update(s) sent, ${t.outcomes} result(s) back (${t.succeeded} success, ${t.outcomes - t.succeeded} failure); ${t.uiAnswers} UI answer(s)`];
  if (t.deviations === 0) lines.push('no protocol deviation');
  else {
    const kinds = server.deviationKinds();
    const kept = kinds.reduce((n, [, count]) => n + count, 0);
    lines.push(`${t.deviations} protocol deviation(s)${kept < t.deviations ? ` (the last ${kept} kept)` : ''}, by kind:`);
    for (const [k, n] of kinds.slice(0, 10)) lines.push(`  ${String(n).padStart(6)}  ${k}`);
    if (kinds.length > 10) lines.push(`  … and ${kinds.length - 10} other kind(s)`);
  }
  return lines.join('\n') + '\n';
}
