// Bytes on the wire and round trips of the two checks a device makes, over each binding and encoding, with
// the real Node adapters against the real lab server on loopback: a check with nothing to update (the
// component is already at the catalog's version), and a user check with confirm and update (download,
// install, and the follow-up session with the result alert). Two byte counts: the SyncML bodies (what the
// session reports), and every byte on the device's sockets (HTTP headers, MQTT packets, PUBACKs, keep-alives),
// counted by a TCP proxy between the device and the server or broker. The package download is not counted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { parseDeviceDescription } from '../agent/description/parse.js';
import { startLab } from '../lab/server/lab.js';
import { loadCatalog } from '../lab/server/catalog.js';
import { parseDevices } from '../lab/server/auth.js';
import { startNodeDevice } from '../platform/node/node-device.js';
import { TerminalDisplay } from '../platform/node/terminal-display.js';

export interface WireRow {
  transport: 'http' | 'mqtt';
  encoding: 'xml' | 'wbxml';
  check: 'no-update' | 'confirm+update';
  ok: boolean;
  sessions: number;
  roundTrips: number;
  bytesSent: number;
  bytesReceived: number;
  /** Bytes on the device's TCP connections, device → network and back. */
  socketUp: number;
  socketDown: number;
}

/** A TCP proxy to `target` that counts the bytes each way. */
async function countingProxy(targetUrl: string) {
  const t = new URL(targetUrl);
  const counts = { up: 0, down: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(t.port), t.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (b) => {
      counts.up += b.length;
      upstream.write(b);
    });
    upstream.on('data', (b) => {
      counts.down += b.length;
      client.write(b);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const url = `${t.protocol}//127.0.0.1:${port}${t.pathname === '/' && !targetUrl.endsWith('/') ? '' : t.pathname}`;
  return {
    url,
    counts,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const root = new URL('..', import.meta.url).pathname;
const nullOut = { write: () => true } as unknown as NodeJS.WritableStream;

export async function measureWire(): Promise<WireRow[]> {
  const lab = await startLab({
    catalog: loadCatalog(join(root, 'lab/examples/catalog.json')),
    mqtt: 'embedded',
    devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]),
  });
  const rows: WireRow[] = [];
  try {
    for (const transport of ['http', 'mqtt'] as const) {
      for (const encoding of ['xml', 'wbxml'] as const) {
        for (const check of ['no-update', 'confirm+update'] as const) {
          const json = JSON.parse(readFileSync(join(root, 'lab/examples/device.json'), 'utf8'));
          const proxy = await countingProxy(transport === 'http' ? lab.dmUrl : lab.brokerUrl!);
          json.account.serverUri = transport === 'http' ? proxy.url : lab.dmUrl;
          // The server knows itself by the address the device uses, as behind any reverse proxy.
          lab.server.useServerUri(json.account.serverUri);
          if (check === 'no-update') json.components[0].version = '2.0';
          const dir = mkdtempSync(join(tmpdir(), 'wire-'));
          const dev = await startNodeDevice({
            desc: parseDeviceDescription(json),
            stateDir: dir,
            transport,
            brokerUrl: transport === 'mqtt' ? proxy.url : lab.brokerUrl!,
            display: new TerminalDisplay(nullOut, { answers: ['yes'] }),
            agent: { encoding },
          });
          try {
            dev.agent.requestUpdate('user', 'app1');
            const r = await dev.agent.runSession();
            await dev.close();
            rows.push({
              transport,
              encoding,
              check,
              ok: r.ok,
              sessions: r.sessions,
              roundTrips: r.roundTrips,
              bytesSent: r.bytesSent,
              bytesReceived: r.bytesReceived,
              socketUp: proxy.counts.up,
              socketDown: proxy.counts.down,
            });
          } finally {
            await dev.close();
            await proxy.close();
            rmSync(dir, { recursive: true, force: true });
          }
        }
      }
    }
    const deviations = lab.server.deviations();
    if (deviations.length) throw new Error(`the lab server saw deviations: ${deviations.map((d) => d.message).join('; ')}`);
  } finally {
    await lab.close();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await measureWire()) console.log(JSON.stringify(r));
}
