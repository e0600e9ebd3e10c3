import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InprocDownloader, InprocPackages } from '../../lab/fleet/inproc-packages.js';
import { runFleet } from '../../lab/fleet/fleet.js';
import { startLab } from '../../lab/server/lab.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadDevice } from '../../lab/commands/common.js';
import { TransportError } from '../../platform/node/transport-error.js';
import { exampleCatalog } from './server/fixtures.js';
import { repoRoot } from '../helpers/peers.js';
import { startConsoleLab } from './console/helpers.js';
import { addUploadedPackage } from '../../lab/console/catalog-upload.js';
import type { CatalogEntry } from '../../lab/server/catalog.js';
import { utf8Encode } from '../../agent/util/bytes.js';

const BASE = 'http://127.0.0.1:8080/packages';

test("in-process packages: a catalog URL gives the file's bytes, read once and shared; any other URL is a 404", async () => {
  const catalog = exampleCatalog();
  const packages = new InprocPackages(catalog, `${BASE}/`);
  const entry = catalog.entries[0]!;
  const url = `${BASE}/${entry.fileName}`;
  const bytes = packages.bytes(url);
  assert.equal(bytes.length, entry.size);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), entry.sha256);
  assert.equal(packages.bytes(url), bytes, 'the same copy for every device');
  for (const other of [`${BASE}/no-such.json`, `http://127.0.0.1:9/packages/${entry.fileName}`, `${BASE}/../${entry.fileName}`]) {
    assert.throws(
      () => packages.bytes(other),
      (e: unknown) => e instanceof TransportError && e.info.httpStatus === 404 && e.info.retryable === false,
      other,
    );
  }

  const downloader = new InprocDownloader(packages);
  const progress: [number, number | undefined][] = [];
  assert.deepEqual(await downloader.fetch({ url, id: 'p1', offset: 0, onProgress: (r, t) => progress.push([r, t]) }), {
    size: entry.size,
    total: entry.size,
  });
  assert.deepEqual(progress, [[entry.size, entry.size]]);
  assert.equal(downloader.storedSize('p1'), entry.size);
  assert.deepEqual(downloader.read('p1', 2, 5), bytes.slice(2, 7));
  downloader.discard('p1');
  assert.equal(downloader.storedSize('p1'), 0);
  await assert.rejects(downloader.fetch({ url: `${BASE}/no-such.json`, id: 'p2', offset: 0 }), TransportError);
  assert.equal(downloader.storedSize('p2'), 0);
});

test('fleet in process with its packages: every update installs, and no package GET reaches the HTTP server', async () => {
  const logs: string[] = [];
  const catalog = exampleCatalog();
  const lab = await startLab({
    catalog,
    devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]),
    log: { log: (_l, m) => logs.push(m) },
  });
  try {
    const template = loadDevice(join(repoRoot, 'lab/examples/device.json'));
    const run = (first: number, packages?: InprocPackages) => {
      const t = structuredClone(template);
      t.devInfo.devId = `IMEI:${first}`;
      return runFleet({
        template: t,
        devices: 3,
        accounts: 'shared',
        sessionsPerDevice: 1,
        concurrency: 3,
        rampSeconds: 0,
        trigger: 'device',
        encoding: 'xml',
        target: { kind: 'inproc', server: lab.server, url: lab.dmUrl, ...(packages ? { packages } : {}) },
      });
    };
    const gets = () => logs.filter((m) => m.startsWith('GET /packages/')).length;
    const inproc = await run(1, new InprocPackages(catalog, lab.packagesUrl));
    assert.equal(inproc.ok, 3, JSON.stringify(inproc.failures));
    assert.equal(inproc.dmSessions, 6, 'each device installed an update and reported it');
    assert.equal(gets(), 0);
    // The control: without the packages the same run downloads over HTTP.
    const http = await run(2);
    assert.equal(http.ok, 3, JSON.stringify(http.failures));
    assert.equal(gets(), 3);
    assert.equal(lab.server.deployments().filter((d) => d.state === 'completed').length, 6);
    assert.deepEqual(lab.server.deviations(), []);
  } finally {
    await lab.close();
  }
});

test('fleet in process: a version uploaded in the console while the fleet runs is downloaded and installed by the next sessions', async () => {
  const c = await startConsoleLab({ devices: [{ username: 'dmuser', password: 'dmpass', auth: 'md5' }] });
  try {
    const t = loadDevice(join(repoRoot, 'lab/examples/device.json'));
    t.devInfo.devId = 'IMEI:77';
    let uploaded: CatalogEntry | undefined;
    const s = await runFleet({
      template: t,
      devices: 3,
      accounts: 'shared',
      sessionsPerDevice: 2,
      concurrency: 1,
      rampSeconds: 0,
      trigger: 'device',
      encoding: 'xml',
      target: {
        kind: 'inproc',
        server: c.lab.server,
        url: c.lab.dmUrl,
        packages: new InprocPackages(c.catalog, c.lab.packagesUrl, (name) => c.bench.uploads.get(name)),
      },
      // Once every device ran its first session (which installed the Sensor driver 1.5), 1.6 is uploaded, as
      // the console's POST /api/catalog does it (at once here, so that the next session surely comes after it).
      onRun: (r) => {
        if (r.device === 2 && !uploaded) {
          const pkg = { id: 'com.example.sensor', name: 'Sensor driver', version: '1.6', payload: 'Sensor driver 1.6' };
          uploaded = addUploadedPackage(c.catalog, c.bench.uploadDir, utf8Encode(JSON.stringify(pkg)), { autoUpdate: true });
          c.bench.uploads.set(uploaded.fileName, uploaded.file);
        }
      },
    });
    assert.equal(uploaded?.version, '1.6', 'the upload is taken');
    assert.equal(s.ok, 6, JSON.stringify(s.failures));
    const done = (v: string) =>
      c.lab.server
        .deployments()
        .filter((d) => d.componentId === 'com.example.sensor' && d.version === v && d.state === 'completed')
        .map((d) => d.devId)
        .sort();
    const all = [0, 1, 2].map((i) => `IMEI:77-${i}`);
    assert.deepEqual(done('1.5'), all, 'the first sessions installed the version of the catalog file');
    assert.deepEqual(done('1.6'), all, 'the second sessions installed the uploaded one, read in process');
    assert.deepEqual(c.lab.server.deviations(), []);
  } finally {
    await c.close();
  }
});
