// `dm-agent serve`: the lab DM server until Ctrl-C (`npm run lab:server -- …` is the same).
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Log } from '../../agent/ports.js';
import { loadCatalog } from '../server/catalog.js';
import { loadScenario } from '../server/scenario.js';
import { startLab } from '../server/lab.js';
import type { LabDmServer } from '../server/dm-server.js';
import { defineVerb, parse, urlOf, UsageError, type Verb } from '../args.js';
import { exampleFile, labDevices } from './common.js';
import { isLoopback, LabConsole, newToken } from '../console/console.js';
import { withDefined } from '../../agent/util/options.js';

const CREDENTIAL = 'u:p[:auth]';

export const serveSpec = defineVerb({
  name: 'serve',
  summary: 'start the lab DM server',
  description: [
    'An OMA DM 1.2 server on http://127.0.0.1:8080/dm until Ctrl-C, then a summary of what it saw. It serves the ' +
      'components of its catalog, authenticates devices with basic, MD5 or HMAC, answers SCOMO update requests and logs ' +
      'every protocol deviation by the device; lab/server/README.md has the details. `npm run lab:server -- …` is the same. ' +
      'With --tls-cert and --tls-key it serves HTTPS, and the URLs it announces (DM server, packages) are https://.',
  ],
  options: {
    http: { type: 'int', value: 'PORT', default: 8080, max: 65535, description: 'the HTTP (or HTTPS) port (0: any free one)' },
    host: { type: 'string', value: 'H', default: '127.0.0.1', description: 'the address to listen on' },
    'public-url': {
      type: 'string',
      value: 'URL',
      defaultText: 'http://<host>:<port>',
      description: 'the base URL devices reach the server at (behind a proxy or NAT)',
    },
    'tls-cert': {
      type: 'string',
      value: 'FILE',
      description: "serve HTTPS with this certificate (PEM, the server's first, then any intermediate CA), with --tls-key",
    },
    'tls-key': { type: 'string', value: 'FILE', description: "the certificate's private key (PEM), with --tls-cert" },
    mqtt: {
      type: 'string',
      value: 'URL|embedded',
      check: urlOf(['mqtt', 'mqtts'], ['embedded']),
      description: 'also serve over MQTT: a broker of your own, or embedded (aedes in this process)',
    },
    'broker-port': {
      type: 'int',
      value: 'N',
      defaultText: 'any free one',
      description: "the embedded broker's port, with --mqtt embedded",
    },
    prefix: { type: 'string', value: 'P', description: 'MQTT topic prefix: devices publish on P/dm/<DevId>/up' },
    catalog: {
      type: 'string',
      value: 'FILE',
      defaultText: 'lab/examples/catalog.json',
      description: 'the components on offer, with their packages',
    },
    scenario: { type: 'string', value: 'FILE', description: 'scripts the dialogue and injects failures (lab/examples/scenario-*.json)' },
    devices: {
      type: 'string',
      value: 'FILE',
      description: 'the accounts table (a list, or { "devices": [ … ] }), as `fleet --write-accounts` writes it',
    },
    user: {
      type: 'string',
      value: `${CREDENTIAL}[,…]`,
      default: 'dmuser:dmpass:md5',
      description: 'device accounts, without --devices; auth is none, basic, md5 (default) or hmac',
    },
    'server-cred': {
      type: 'string',
      value: CREDENTIAL,
      description:
        'the credential the server gives devices to authenticate it: every --user account\'s, or with --devices those accounts\' without a "server" of their own',
    },
    'server-id': { type: 'string', value: 'ID', default: 'labserver', description: 'the ServerID the server stands for' },
    history: {
      type: 'int',
      value: 'N',
      default: 10000,
      min: 1,
      description: 'keeps the last N deployments, outcomes, UI answers and deviations',
    },
    quiet: { type: 'boolean', description: 'logs warnings and errors only' },
    strict: {
      type: 'boolean',
      description:
        'refuses what it otherwise takes with a logged deviation: a SyncML DS media type gets 415, a deviation in a session ends it (Alert 1223)',
    },
    capture: {
      type: 'string',
      value: 'FILE',
      description:
        'writes every message of every session, both directions, as its bytes with time, session and device, to FILE (docs/console.md); `dm-agent decode FILE` reads it, `dm-agent replay FILE` plays it',
    },
    'no-console': { type: 'boolean', description: 'no console: the HTTP port serves the DM endpoint and the packages only' },
    'console-token': {
      type: 'string',
      value: 'T',
      defaultText: 'none on 127.0.0.1; a random one, printed at start, on any other address',
      description: 'the console asks every request for this token',
    },
  },
});

export async function serveCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { options: o } = parse(serveSpec, argv);
  const { quiet } = o;
  const log: Log = {
    log: (level, message) => {
      if (quiet && (level === 'info' || level === 'debug' || level === 'trace')) return;
      out.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`);
    },
  };
  const tls = serveTls(o['tls-cert'], o['tls-key']);
  const catalog = loadCatalog(o.catalog ?? exampleFile('catalog.json'));
  const bench = consoleFor(o, log);
  await bench?.prepare();
  const lab = await startLab(
    withDefined(
      {
        catalog,
        devices: labDevices(o.devices, o.user, o['server-cred']),
        port: o.http,
        host: o.host,
        serverId: o['server-id'],
        historyLimit: o.history,
        log,
      },
      {
        publicUrl: o['public-url'] || undefined,
        scenario: o.scenario ? loadScenario(o.scenario) : undefined,
        mqtt: o.mqtt || undefined,
        brokerPort: o['broker-port'],
        prefix: o.prefix || undefined,
        tls,
        strict: o.strict ? true : undefined,
        console: bench?.hooks(),
      },
    ),
  );
  bench?.attach(lab, catalog);
  out.write(`lab DM server: POST ${lab.dmUrl}; packages at ${lab.packagesUrl}; ${catalog.entries.length} catalog entries\n`);
  if (bench?.serving) out.write(`console: ${bench.url()}${bench.token ? ' (the token in this address is asked of every request)' : ''}\n`);
  if (o.capture) out.write(`capturing every message to ${o.capture}\n`);
  if (lab.brokerUrl) out.write(`MQTT binding on ${lab.brokerUrl}: ${o.prefix ? `${o.prefix}/` : ''}dm/<DevId>/up → …/down, …/notify\n`);
  out.write('Ctrl-C stops it.\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  bench?.close();
  await lab.close();
  out.write(serveSummary(lab.server));
  return 0;
}

/**
 * The console of `serve`, and the capture: served unless --no-console; with a token when asked, and always on
 * an address other than loopback. undefined: neither console nor capture.
 */
export function consoleFor(
  o: { host: string; capture?: string | undefined; 'no-console': boolean; 'console-token'?: string | undefined },
  log: Log,
): LabConsole | undefined {
  if (o['no-console'] && !o.capture) return undefined;
  const token = o['console-token'] ?? (isLoopback(o.host) ? undefined : newToken());
  return new LabConsole(withDefined({ serve: !o['no-console'], log }, { token: token || undefined, capture: o.capture || undefined }));
}

/**
 * The certificate and key of --tls-cert and --tls-key, read and checked as a pair before anything listens:
 * both or neither (a usage error), each file named when it cannot be read, and a pair that TLS cannot use
 * (not PEM, a key of another certificate) refused with OpenSSL's reason. undefined: plain HTTP.
 */
export function serveTls(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new UsageError(`--tls-cert and --tls-key go together: ${certFile === undefined ? '--tls-cert' : '--tls-key'} is missing`);
  }
  const read = (file: string, option: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`${option} ${file}: cannot read the ${what} (${(e as Error).message})`);
    }
  };
  const tls = { cert: read(certFile, '--tls-cert', 'certificate'), key: read(keyFile, '--tls-key', 'private key') };
  try {
    createSecureContext(tls);
  } catch (e) {
    throw new Error(
      `--tls-cert ${certFile} with --tls-key ${keyFile}: not a PEM certificate and its private key (${(e as Error).message})`,
    );
  }
  return tls;
}

/**
 * What the server saw, printed when it stops: sessions, devices, updates and their results, and the
 * deviations by kind (numbers masked, most frequent first), so a day in the lab ends with what went wrong.
 */
export function serveSummary(server: LabDmServer): string {
  const t = server.totals();
  const lines = [
    `lab DM server stopped: ${t.sessions} DM session(s) from ${t.devices} authenticated device(s); ` +
      `${t.deployments} update(s) sent, ${t.outcomes} result(s) back (${t.succeeded} success, ${t.outcomes - t.succeeded} failure); ${t.uiAnswers} UI answer(s)`,
  ];
  if (t.deviations === 0) lines.push('no protocol deviation');
  else {
    const kinds = server.deviationKinds();
    const kept = kinds.reduce((n, [, count]) => n + count, 0);
    lines.push(`${t.deviations} protocol deviation(s)${kept < t.deviations ? ` (the last ${kept} kept)` : ''}, by kind:`);
    for (const [k, n] of kinds.slice(0, 10)) lines.push(`  ${String(n).padStart(6)}  ${k}`);
    if (kinds.length > 10) lines.push(`  … and ${kinds.length - 10} other kind(s)`);
  }
  return `${lines.join('\n')}\n`;
}

export const serveVerb: Verb = { spec: serveSpec, run: serveCommand };
