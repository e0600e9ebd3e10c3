// Runs the lab DM server from the command line:
//   node --import tsx lab/server/main.ts --catalog lab/examples/catalog.json [--scenario f.json]
//     [--port 8080] [--host 127.0.0.1] [--public-url http://192.168.1.10:8080] [--user dmuser:dmpass:md5]...
//     [--server-cred labserver:srvpass:md5] [--mqtt mqtt://127.0.0.1:1883 | --embedded-broker 1883] [--prefix lab]
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import type { Log } from '../../agent/ports.js';
import { loadCatalog } from './catalog.js';
import { loadScenario } from './scenario.js';
import { parseDevices, type DeviceAccount } from './auth.js';
import { LabDmServer } from './dm-server.js';
import { startHttpServer } from './http.js';
import { startEmbeddedBroker, startMqttServer } from './mqtt.js';

function credential(spec: string, what: string): { username: string; password: string; auth: string } {
  const [username, password, auth = 'md5'] = spec.split(':');
  if (!username || !password) throw new Error(`${what} '${spec}' must be user:password[:none|basic|md5|hmac]`);
  return { username, password, auth };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      catalog: { type: 'string', default: 'lab/examples/catalog.json' },
      scenario: { type: 'string' },
      devices: { type: 'string' },
      user: { type: 'string', multiple: true },
      'server-cred': { type: 'string' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'public-url': { type: 'string' },
      'server-id': { type: 'string', default: 'labserver' },
      mqtt: { type: 'string' },
      'embedded-broker': { type: 'string' },
      prefix: { type: 'string', default: '' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const log: Log = {
    log: (level, message) => {
      if (values.quiet && (level === 'info' || level === 'debug')) return;
      process.stdout.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`);
    },
  };
  const catalog = loadCatalog(values.catalog!);
  let devices: DeviceAccount[];
  if (values.devices) devices = parseDevices(JSON.parse(readFileSync(values.devices, 'utf8')));
  else {
    const users = (values.user ?? ['dmuser:dmpass:md5']).map((u) => credential(u, '--user'));
    const server = values['server-cred'] ? credential(values['server-cred'], '--server-cred') : undefined;
    devices = parseDevices(users.map((u) => ({ ...u, ...(server ? { server } : {}) })));
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port} is not a port number`);
  const publicUrl = (values['public-url'] ?? `http://${values.host}:${port}`).replace(/\/+$/, '');
  const server = new LabDmServer({
    catalog, devices, serverId: values['server-id']!, serverUri: `${publicUrl}/dm`, packageBaseUrl: `${publicUrl}/packages`, log,
    ...(values.scenario ? { scenario: loadScenario(values.scenario) } : {}),
  });
  const http = await startHttpServer({ server, port, host: values.host!, packagesDir: catalog.packagesDir, log });
  log.log('info', `lab DM server: POST ${http.url}, packages at ${publicUrl}/packages (${catalog.entries.length} catalog entries)`);
  let brokerUrl = values.mqtt;
  if (values['embedded-broker'] !== undefined) {
    const broker = await startEmbeddedBroker({ port: Number(values['embedded-broker']), host: values.host! });
    brokerUrl = broker.url;
    log.log('info', `embedded MQTT broker at ${broker.url}`);
  }
  if (brokerUrl) {
    await startMqttServer({ server, brokerUrl, prefix: values.prefix!, log });
    log.log('info', `MQTT binding on ${brokerUrl}: ${values.prefix ? values.prefix + '/' : ''}dm/<DevId>/up → …/down`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`lab server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
