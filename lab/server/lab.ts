// The whole lab server in one call: the DM server over HTTP or HTTPS (with its packages), and optionally the MQTT
// binding on a broker (an external one, or an embedded aedes). Used by `dm-agent serve`, `npm start`,
// the fleet simulator and tests, so each starts the lab the same way.
import { networkInterfaces } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Log } from '../../agent/ports.js';
import type { Catalog } from './catalog.js';
import type { FailurePlan, Scenario } from './scenario.js';
import type { LabObserver } from './types.js';
import type { DeviceAccount } from './auth.js';
import { LabDmServer } from './dm-server.js';
import { startHttpServer, type RunningHttpServer } from './http.js';
import { startEmbeddedBroker, startMqttServer, type RunningMqttServer } from './mqtt.js';
import type { RunningBroker } from './broker.js';
import { withDefined } from '../../agent/util/options.js';

export interface LabOptions {
  catalog: Catalog;
  devices: DeviceAccount[];
  scenario?: Scenario;
  /** 0 = any free port. */
  port?: number;
  host?: string;
  /** The URL devices reach this machine by, when not host:port (e.g. behind NAT, or for a device on Wi-Fi). */
  publicUrl?: string;
  serverId?: string;
  /** mqtt://… of a broker to serve on; 'embedded' starts aedes (port `brokerPort`, default any). */
  mqtt?: string;
  brokerPort?: number;
  prefix?: string;
  log?: Log;
  /** Entries the server keeps of each history (LabDmServerOptions.historyLimit). */
  historyLimit?: number;
  /** Serve HTTPS with this certificate and key (PEM): the DM URL and the PkgURLs are then https://. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Strict mode (LabDmServerOptions.strict): refuse what is otherwise taken with a deviation. */
  strict?: boolean;
  /** Watches the server and adds routes and packages on its HTTP port: the lab console (lab/console/). */
  console?: {
    observer: LabObserver;
    failures: (scenario: Scenario | undefined) => FailurePlan;
    routes: (req: IncomingMessage, res: ServerResponse) => boolean;
    packageFile: (name: string) => string | undefined;
  };
}

export interface RunningLab {
  server: LabDmServer;
  http: RunningHttpServer;
  /** The DM server URI devices put in their account. */
  dmUrl: string;
  /** Where the PkgURLs sent to devices point (the public URL's when one is given). */
  packagesUrl: string;
  brokerUrl?: string;
  mqtt?: RunningMqttServer;
  close(): Promise<void>;
}

/**
 * The address to announce for a server listening on every interface (0.0.0.0, ::), which devices cannot
 * reach by that name: the machine's first external IPv4 address, or undefined when it has none.
 */
export function reachableAddress(interfaces = networkInterfaces()): string | undefined {
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export async function startLab(o: LabOptions): Promise<RunningLab> {
  const host = o.host ?? '127.0.0.1';
  // A DM server and its PkgURLs announced as http://0.0.0.0:PORT are unreachable for a device.
  let announceHost: string | undefined;
  if (!o.publicUrl && (host === '0.0.0.0' || host === '::')) {
    announceHost = reachableAddress();
    o.log?.log(
      'warn',
      announceHost !== undefined
        ? `listening on ${host}: devices are told this machine's address ${announceHost} (give --public-url to choose another)`
        : `listening on ${host}, but this machine has no external IPv4 address to tell devices: give --public-url`,
    );
  }
  const provisional = (o.publicUrl ?? `${o.tls ? 'https' : 'http'}://${host}:${o.port ?? 0}`).replace(/\/+$/, '');
  const server = new LabDmServer(
    withDefined(
      {
        catalog: o.catalog,
        devices: o.devices,
        serverId: o.serverId ?? 'labserver',
        serverUri: `${provisional}/dm`,
        packageBaseUrl: `${provisional}/packages`,
      },
      {
        scenario: o.scenario,
        log: o.log,
        historyLimit: o.historyLimit,
        strict: o.strict ? true : undefined,
        observer: o.console?.observer,
        failures: o.console?.failures(o.scenario),
      },
    ),
  );
  // With port 0 the real port is known only once listening: announce that URL in PkgURL.
  const http = await startHttpServer(
    withDefined(
      { server, port: o.port ?? 0, host, packagesDir: o.catalog.packagesDir, announcePackages: !o.publicUrl },
      { announceHost, tls: o.tls, log: o.log, routes: o.console?.routes, packageFile: o.console?.packageFile },
    ),
  );
  if (!o.publicUrl) server.useServerUri(http.url);
  let broker: RunningBroker | undefined;
  let brokerUrl = o.mqtt;
  let mqtt: RunningMqttServer | undefined;
  try {
    if (o.mqtt === 'embedded') {
      broker = await startEmbeddedBroker({ port: o.brokerPort ?? 0, host });
      brokerUrl = broker.url;
    }
    mqtt = brokerUrl ? await startMqttServer(withDefined({ server, brokerUrl }, { prefix: o.prefix || undefined, log: o.log })) : undefined;
  } catch (e) {
    // What did start is stopped: a lab that fails to start holds no port.
    await broker?.close();
    await http.close();
    throw e;
  }
  return withDefined(
    {
      server,
      http,
      dmUrl: o.publicUrl ? `${provisional}/dm` : http.url,
      packagesUrl: o.publicUrl ? `${provisional}/packages` : http.packagesUrl,
      close: async () => {
        await mqtt?.close();
        await broker?.close();
        await http.close();
      },
    },
    { brokerUrl: brokerUrl || undefined, mqtt },
  );
}
