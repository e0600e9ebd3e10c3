// TLS end to end, with certificates openssl makes at run time (test/helpers/tls.ts): the lab server over
// HTTPS and mosquitto with a TLS listener; the Node device with the test CA as transport.caFile completes an
// update, and refuses a server whose certificate is from another CA, expired or for another host name, with
// an error that says which, the alert kept and nothing installed. Everything is on 127.0.0.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type RunningLab } from '../../lab/server/lab.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadDevice } from '../../lab/commands/common.js';
import { startNodeDevice, type NodeDevice } from '../../platform/node/node-device.js';
import { HttpTransport } from '../../platform/node/http-transport.js';
import { HttpDownloader } from '../../platform/node/http-downloader.js';
import { TransportError } from '../../platform/node/transport-error.js';
import type { SessionReport } from '../../agent/agent.js';
import { exampleCatalog } from './server/fixtures.js';
import { startBroker, type TestBroker } from '../helpers/brokers.js';
import { needPeer, repoRoot } from '../helpers/peers.js';
import { makeTestPki, type CertFiles, type TestPki } from '../helpers/tls.js';

const noOpenssl = needPeer('openssl');
const noMosquitto = noOpenssl || needPeer('mosquitto');
// Its update needs no user's consent (autoUpdate in lab/examples/catalog.json): the device has no UI here.
const SENSOR = 'com.example.sensor';

const BAD: { name: string; pick: (p: TestPki) => CertFiles; code: string; says: RegExp }[] = [
  {
    name: 'from another CA',
    pick: (p) => p.otherCa,
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    says: /not signed by a CA this device trusts .*give the server's CA in the device description's transport\.caFile$/,
  },
  { name: 'expired', pick: (p) => p.expired, code: 'CERT_HAS_EXPIRED', says: /it has expired/ },
  { name: 'for another host name', pick: (p) => p.otherHost, code: 'ERR_TLS_CERT_ALTNAME_INVALID', says: /it is for another host name/ },
];

let pki: TestPki;
before(() => {
  if (!noOpenssl) pki = makeTestPki();
});

const pem = (c: CertFiles) => ({ cert: readFileSync(c.cert), key: readFileSync(c.key) });

function labOver(cert: CertFiles, mqtt?: string): Promise<RunningLab> {
  return startLab({
    catalog: exampleCatalog(),
    devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]),
    tls: pem(cert),
    ...(mqtt ? { mqtt } : {}),
  });
}

/** The example device, trusting the test CA only, with an update of the Sensor driver queued. */
async function deviceFor(lab: RunningLab, mqtts?: string): Promise<NodeDevice> {
  const desc = loadDevice(join(repoRoot, 'lab/examples/device.json'));
  desc.transport = { ...desc.transport, kind: 'http', caFile: pki.caFile, retries: 2 };
  const dev = await startNodeDevice({
    desc,
    stateDir: mkdtempSync(join(tmpdir(), 'dm-tls-')),
    serverUri: lab.dmUrl,
    ...(mqtts ? { transport: 'mqtt' as const, brokerUrl: mqtts } : {}),
  });
  dev.agent.requestUpdate('device', SENSOR);
  return dev;
}

/** A lab serving HTTPS with `cert` (and MQTT on `mqtt`), a device for it (over `mqtts`), both closed after `run`. */
async function withLabAndDevice(
  o: { cert: CertFiles; mqtt?: string; mqtts?: string },
  run: (lab: RunningLab, dev: NodeDevice) => Promise<void>,
): Promise<void> {
  const lab = await labOver(o.cert, o.mqtt);
  try {
    const dev = await deviceFor(lab, o.mqtts);
    try {
      await run(lab, dev);
    } finally {
      await dev.close();
    }
  } finally {
    await lab.close();
  }
}

const sensorVersion = (dev: NodeDevice) => dev.installer.installed().find((c) => c.id === SENSOR)?.version;

function assertUpdated(lab: RunningLab, dev: NodeDevice, report: SessionReport): void {
  assert.ok(report.ok, `the session ends well: ${report.error?.message}`);
  assert.deepEqual(
    lab.server.outcomes().map((o) => o.resultCode),
    [1200],
    'the server records a successful update',
  );
  assert.equal(dev.agent.queue.pending().length, 0, 'the alerts were delivered');
  assert.equal(sensorVersion(dev), '1.5', 'the new Sensor driver is installed');
}

function assertRefused(lab: RunningLab, dev: NodeDevice, report: SessionReport, bad: (typeof BAD)[number]): void {
  assert.equal(report.ok, false, 'the session fails');
  const message = report.error?.message ?? '';
  assert.match(message, bad.says, message);
  assert.ok(message.includes(`(${bad.code}: `), `the error names Node's code ${bad.code}: ${message}`);
  assert.equal(dev.agent.queue.pending().length, 1, 'the update request is still queued');
  assert.equal(sensorVersion(dev), '1.4', 'nothing is installed');
  assert.equal(lab.server.totals().sessions, 0, 'the server saw no session');
}

describe('over HTTPS', { skip: noOpenssl }, () => {
  test('the lab server announces https:// URLs; a device that trusts its CA completes an update (packages over HTTPS too)', async () => {
    await withLabAndDevice({ cert: pki.server }, async (lab, dev) => {
      assert.match(lab.dmUrl, /^https:\/\/127\.0\.0\.1:\d+\/dm$/);
      assert.match(lab.packagesUrl, /^https:\/\/127\.0\.0\.1:\d+\/packages$/);
      // The package comes from lab.packagesUrl, https:// (the server serves nothing over plain HTTP).
      assertUpdated(lab, dev, await dev.agent.runSession());
    });
  });

  for (const bad of BAD) {
    test(`a server certificate ${bad.name} is refused with ${bad.code}; the alert stays queued, nothing is installed`, async () => {
      await withLabAndDevice({ cert: bad.pick(pki) }, async (lab, dev) => assertRefused(lab, dev, await dev.agent.runSession(), bad));
    });
  }

  test('a refused certificate is not retried, and rejectUnauthorized stays on: the same server is refused again', async () => {
    const lab = await labOver(pki.expired);
    try {
      const sleeps: number[] = [];
      const transport = new HttpTransport({ ca: readFileSync(pki.caFile), retries: 3, sleep: async (ms) => void sleeps.push(ms) });
      const send = () =>
        transport.exchange({
          uri: lab.dmUrl,
          body: new Uint8Array([1]),
          contentType: 'application/vnd.syncml.dm+xml',
          sessionId: '1',
          msgId: '1',
        });
      for (let i = 0; i < 2; i++) {
        await assert.rejects(send(), (e: unknown) => e instanceof TransportError && e.info.kind === 'tls' && e.info.retryable === false);
      }
      assert.deepEqual(sleeps, [], 'no retry');
    } finally {
      await lab.close();
    }
  });

  test('a package download from a server with a bad certificate fails with a TLS error, not retryable, nothing stored', async () => {
    const server = createServer(pem(pki.otherHost), (_req, res) => res.end('package'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const downloader = new HttpDownloader(mkdtempSync(join(tmpdir(), 'dm-tls-pkg-')), { ca: readFileSync(pki.caFile) });
      await assert.rejects(
        downloader.fetch({ url: `https://127.0.0.1:${port}/packages/p.bin`, id: 'p', offset: 0 }),
        (e: unknown) =>
          e instanceof TransportError &&
          e.info.kind === 'tls' &&
          !e.info.retryable &&
          e.message.includes('ERR_TLS_CERT_ALTNAME_INVALID') &&
          e.message.includes(`127.0.0.1:${port}`),
      );
      assert.equal(downloader.storedSize('p'), 0, 'nothing stored');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('over MQTTS (mosquitto with a TLS listener)', { skip: noMosquitto }, () => {
  let brokers: TestBroker[] = [];
  after(async () => {
    for (const b of brokers) await b.stop();
    brokers = [];
  });
  const broker = async (cert: CertFiles) => {
    const b = await startBroker('mosquitto', { tls: cert });
    brokers.push(b);
    return b;
  };

  test('a device that trusts the CA completes an update over mqtts://, its packages over HTTPS', async () => {
    const b = await broker(pki.server);
    await withLabAndDevice({ cert: pki.server, mqtt: b.url, mqtts: b.tlsUrl! }, async (lab, dev) =>
      assertUpdated(lab, dev, await dev.agent.runSession()),
    );
  });

  for (const bad of BAD) {
    test(`a broker certificate ${bad.name} is refused at once with ${bad.code}; the alert stays queued`, async () => {
      const b = await broker(bad.pick(pki));
      await withLabAndDevice({ cert: pki.server, mqtt: b.url, mqtts: b.tlsUrl! }, async (lab, dev) => {
        const report = await dev.agent.runSession();
        assertRefused(lab, dev, report, bad);
        const port = new URL(b.tlsUrl!).port;
        assert.ok(
          report.error?.message.startsWith(`no reply from mqtts://127.0.0.1:${port}, topic `) &&
            report.error.message.includes(`the TLS certificate of MQTT broker 127.0.0.1:${port} is refused`),
          `the broker is named, not the DM server: ${report.error?.message}`,
        );
      });
    });
  }
});
