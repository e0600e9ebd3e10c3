// Real MQTT brokers on loopback for binding tests: aedes in process (always), mosquitto as a child process
// (when installed; required in CI). Both can be stopped and started again on the same port, which is how
// the tests restart a broker mid-session.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../../lab/server/broker.js';
import { withDefined } from '../../agent/util/options.js';

export type BrokerKind = 'aedes' | 'mosquitto';

export interface TestBroker {
  url: string;
  port: number;
  /** mqtts://127.0.0.1:<port> of the TLS listener, when started with `tls` (mosquitto only). */
  tlsUrl?: string;
  stop(): Promise<void>;
  /** Starts again on the same port, empty (nothing of the old broker's state survives). */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitUntilUp(url: string, auth: { username?: string; password?: string } = {}): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      const probe = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 500, ...auth });
      await probe.endAsync();
      return;
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts a broker; with `users`, mosquitto requires a username and password (aedes is left open). With `tls`
 * (certificate and key files), mosquitto also listens for MQTT over TLS on a port of its own (`tlsUrl`);
 * the plain listener stays, so that the test can tell that the broker is up whatever the certificate.
 */
export async function startBroker(
  kind: BrokerKind,
  o: { users?: Record<string, string>; tls?: { cert: string; key: string } } = {},
): Promise<TestBroker> {
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  if (o.tls && kind !== 'mosquitto') throw new Error('startBroker: a TLS listener is for mosquitto only');
  const tlsPort = o.tls ? await freePort() : undefined;
  if (kind === 'aedes') {
    let b = await startEmbeddedBroker({ port });
    return {
      url,
      port,
      stop: () => b.close(),
      restart: async () => {
        b = await startEmbeddedBroker({ port });
      },
    };
  }
  const probeAuth: { username?: string; password?: string } = {};
  for (const [u, p] of Object.entries(o.users ?? {})) {
    probeAuth.username = u;
    probeAuth.password = p;
  }
  // The files live only while mosquitto starts: it reads them then, and each (re)start writes them afresh,
  // so no run leaves a folder behind in the temporary directory.
  const launch = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dm-mosquitto-'));
    try {
      const conf = [`listener ${port} 127.0.0.1`, 'persistence false'];
      if (o.users) {
        const pw = join(dir, 'passwd');
        writeFileSync(pw, '');
        for (const [u, p] of Object.entries(o.users)) {
          const r = spawnSync('mosquitto_passwd', ['-b', pw, u, p]);
          if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
        }
        // Run as root (CI), mosquitto drops to the user 'mosquitto' unless told otherwise, and then cannot read the file.
        conf.push('allow_anonymous false', `password_file ${pw}`, 'user root');
      } else conf.push('allow_anonymous true');
      // The certificate files stay where the test made them (a private temporary folder): as root, mosquitto
      // must stay root to read them, as for the password file.
      if (o.tls) conf.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${o.tls.cert}`, `keyfile ${o.tls.key}`);
      if (o.tls && !o.users) conf.push('user root');
      writeFileSync(join(dir, 'mosquitto.conf'), `${conf.join('\n')}\n`);
      const proc = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
      await waitUntilUp(url, probeAuth);
      return proc;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  let proc = await launch();
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) {
        resolve();
        return;
      }
      proc.once('exit', () => resolve());
      proc.kill();
    });
  return withDefined(
    {
      url,
      port,
      stop,
      restart: async () => {
        proc = await launch();
      },
    },
    { tlsUrl: tlsPort !== undefined ? `mqtts://127.0.0.1:${tlsPort}` : undefined },
  );
}
