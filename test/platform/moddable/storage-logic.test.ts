// Pure parts of the Moddable storage side: the file-name scheme of the Storage port, the component package
// format and the flash write order, the installed-components record, the installer itself (it needs no SDK
// module: the mod slot is a port of its own), and the manifest config reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootScan, fnv1a, isStorageKey, joinDir, keyFile, packageFileName, tmpFile } from '../../../platform/moddable/lib/file-names.js';
import {
  archiveProblem,
  flashPlan,
  MAX_HEADER,
  MAX_HEADER_NESTING,
  nestingWithin,
  parsePackage,
} from '../../../platform/moddable/lib/mod-package.js';
import { afterInstall, parseInstalled, type InstalledComponent } from '../../../platform/moddable/lib/components.js';
import { readDeviceConfig, DEFAULT_LIST_MAX_NODES, DEFAULT_MAX_MSG_SIZE, DEFAULT_TREE } from '../../../platform/moddable/lib/config.js';
import type { ModSlot } from '../../../platform/moddable/lib/mod-slot.js';
import { ModInstaller } from '../../../platform/moddable/installer.js';
import { DmError } from '../../../agent/errors.js';
import { utf8Encode } from '../../../agent/util/bytes.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';
import { FakeDownloader } from '../../helpers/fake-downloader.js';

const isDm = (code: string) => (e: unknown) => e instanceof DmError && e.code === code;

test('storage file names: keys, temporary files, and what a boot scan removes', () => {
  assert.equal(joinDir('/', 'dm'), '/dm/');
  assert.equal(joinDir('/Users/Shared', '/dm/'), '/Users/Shared/dm/');
  assert.equal(keyFile('/dm/', 'tree'), '/dm/tree');
  assert.equal(tmpFile('/dm/', 'tree'), '/dm/tree.tmp');
  for (const k of ['tree', 'alerts', 'scomo', 'tree.corrupt', 'a-b_c.1']) assert.ok(isStorageKey(k), k);
  for (const k of ['', '.hidden', 'a/b', 'tree.tmp', 'x'.repeat(33), 'é']) assert.ok(!isStorageKey(k), k);
  // A .tmp is an interrupted write: removed whether or not its key's file exists (the key keeps the old value).
  assert.deepEqual(bootScan(['tree', 'tree.tmp', 'alerts.tmp', 'schedule', 'notes.txt.tmp.x', 'a/b']), {
    keys: ['notes.txt.tmp.x', 'schedule', 'tree'],
    remove: ['tree.tmp', 'alerts.tmp'],
  });
});

test('package file names are short, safe, and distinct for distinct ids', () => {
  assert.equal(packageFileName('weather-2.0'), 'pkg-weather-2.0.bin');
  const a = packageFileName('com.example/app:1');
  const b = packageFileName('com.example_app_1');
  assert.match(a, /^pkg-com\.example_app_1-[0-9a-f]{8}\.bin$/);
  assert.notEqual(a, b, 'ids differing only in unsafe characters');
  const long1 = packageFileName(`${'x'.repeat(60)}1`);
  const long2 = packageFileName(`${'x'.repeat(60)}2`);
  assert.notEqual(long1, long2);
  assert.ok(long1.length <= 4 + 31 + 9 + 4, 'long1.length <= 4 + 31 + 9 + 4');
  assert.equal(fnv1a(''), '811c9dc5');
  assert.equal(fnv1a('a'), 'e40c292c');
});

function xsArchive(payload: number[]): Uint8Array {
  const n = 8 + payload.length;
  return Uint8Array.of(n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255, ...utf8Encode('XS_A'), ...payload);
}

function pkg(header: object, archive?: Uint8Array): Uint8Array {
  const h = utf8Encode(JSON.stringify(header, null, 2));
  if (!archive) return h;
  const out = new Uint8Array(h.length + 1 + archive.length);
  out.set(h);
  out.set(archive, h.length + 1);
  return out;
}

const reader = (b: Uint8Array) => (off: number, n: number) => b.slice(off, off + n);

test('packages: a JSON header alone (the lab catalog), or a header, a NUL and an XS archive', () => {
  const lab = utf8Encode(JSON.stringify({ id: 'com.example.weather', name: 'Weather', version: '2.0', payload: 'text' }, null, 2));
  assert.deepEqual(parsePackage('p', lab.length, reader(lab)), {
    info: { id: 'com.example.weather', name: 'Weather', version: '2.0' },
    archiveOffset: 0,
    archiveLength: 0,
  });
  const arch = xsArchive([1, 2, 3, 4]);
  const withMod = pkg({ id: 'w', name: 'W', version: '3', module: 'weather/main' }, arch);
  const p = parsePackage('p', withMod.length, reader(withMod));
  assert.equal(p.module, 'weather/main');
  assert.equal(p.archiveLength, arch.length);
  assert.deepEqual([...withMod.slice(p.archiveOffset)], [...arch]);
  const bad = [
    utf8Encode('not json'),
    pkg({ id: 'w', name: 'W' }),
    pkg({ id: 'w', name: 'W', version: 3 }),
    pkg({ id: 'w', name: 'W', version: '3' }, Uint8Array.of(0, 0, 0, 12, 0x58, 0x58, 0x58, 0x58, 1, 2, 3, 4)),
    pkg({ id: 'w', name: 'W', version: '3' }, xsArchive([1, 2]).slice(0, 9)),
    new Uint8Array(MAX_HEADER * 20).fill(0x20),
    // Nested deeper than the device's JSON.parse can take on its stack (an abort, and again at each boot).
    utf8Encode(`{"id":"w","name":"W","version":"3","x":${'['.repeat(500)}${']'.repeat(500)}}`),
  ];
  for (const b of bad) assert.throws(() => parsePackage('p', b.length, reader(b)), isDm('DM_ERR_INSTALL'));
  const nested = (d: number) => `{"a":${'['.repeat(d - 1)}"[[[\\\\"${']'.repeat(d - 1)}}`;
  assert.ok(nestingWithin(nested(MAX_HEADER_NESTING), MAX_HEADER_NESTING), 'brackets inside strings do not count');
  assert.ok(
    !nestingWithin(nested(MAX_HEADER_NESTING + 1), MAX_HEADER_NESTING),
    '!nestingWithin(nested(MAX_HEADER_NESTING + 1), MAX_HEADER_NESTING)',
  );
  assert.deepEqual(JSON.parse(nested(2)), { a: ['[[[\\'] });
  assert.equal(archiveProblem(xsArchive([]), 8), undefined);
  assert.match(archiveProblem(xsArchive([1]), 10)!, /says 9 bytes/);
});

test('flash plan: erase what the archive needs, write one block at a time, the first block last', () => {
  assert.deepEqual(flashPlan(10000, 4096, 65536), {
    eraseBlocks: 3,
    writes: [
      { offset: 4096, length: 4096 },
      { offset: 8192, length: 1808 },
      { offset: 0, length: 4096 },
    ],
  });
  assert.deepEqual(flashPlan(100, 4096, 65536), { eraseBlocks: 1, writes: [{ offset: 0, length: 100 }] });
  assert.throws(() => flashPlan(70000, 4096, 65536), isDm('DM_ERR_INSTALL'));
});

test('installed record: parse, one mod slot, replacement of a new version', () => {
  assert.equal(parseInstalled(undefined), undefined);
  assert.throws(() => parseInstalled('{'), isDm('DM_ERR_STORAGE'));
  assert.throws(() => parseInstalled('[{"id":1}]'), isDm('DM_ERR_STORAGE'));
  const list: InstalledComponent[] = [{ id: 'a', name: 'A', version: '1', active: true, mod: true }];
  assert.deepEqual(
    afterInstall(list, { id: 'a', name: 'A', version: '2', active: true, mod: true }).map((c) => c.version),
    ['2'],
  );
  assert.equal(afterInstall(list, { id: 'b', name: 'B', version: '1', active: true, mod: false }).length, 2);
  assert.throws(() => afterInstall(list, { id: 'b', name: 'B', version: '1', active: true, mod: true }), /mod slot holds component a/);
});

class FakeSlot implements ModSlot {
  readonly capacity = 4096;
  bytes?: Uint8Array;
  clears = 0;
  write(length: number, read: (offset: number, n: number) => Uint8Array): void {
    const b = new Uint8Array(length);
    for (let o = 0; o < length; o += 100) b.set(read(o, Math.min(100, length - o)), o);
    this.bytes = b;
  }
  clear(): void {
    this.bytes = undefined;
    this.clears++;
  }
}

test('ModInstaller: seeds the factory components, installs a mod, is idempotent, activates, removes', async () => {
  const storage = new MemoryStorage();
  const dl = new FakeDownloader();
  const slot = new FakeSlot();
  const inst = new ModInstaller({ storage, downloader: dl, slot, initial: [{ id: 'w', name: 'Weather', version: '1.0' }] });
  assert.deepEqual(inst.installed(), [{ id: 'w', name: 'Weather', version: '1.0' }]);
  const arch = xsArchive([...new Array(300).keys()].map((i) => i & 255));
  dl.store.set('p1', pkg({ id: 'w', name: 'Weather', version: '2.0', module: 'weather' }, arch));
  assert.deepEqual(await inst.install('p1', true), [{ id: 'w', name: 'Weather', version: '2.0' }]);
  assert.deepEqual([...slot.bytes!], [...arch]);
  await inst.install('p1', true); // after a power cut the journal installs again
  assert.deepEqual(inst.installed(), [{ id: 'w', name: 'Weather', version: '2.0' }]);
  assert.deepEqual(inst.activeModules(), ['weather']);
  await inst.deactivate('w');
  assert.deepEqual(inst.activeModules(), []);
  await inst.activate('w');
  // Another component with a mod cannot take the slot; the record and the slot stay as they were.
  dl.store.set('p2', pkg({ id: 'x', name: 'X', version: '1' }, xsArchive([7])));
  await assert.rejects(inst.install('p2', true), isDm('DM_ERR_INSTALL'));
  assert.deepEqual([...slot.bytes!], [...arch]);
  const again = new ModInstaller({ storage, downloader: dl, slot, initial: [{ id: 'w', name: 'Weather', version: '1.0' }] });
  assert.deepEqual(again.installed(), [{ id: 'w', name: 'Weather', version: '2.0' }], 'the seed does not overwrite what is installed');
  await again.remove('w');
  assert.equal(slot.bytes, undefined);
  assert.deepEqual(again.installed(), []);
  await assert.rejects(again.remove('w'), isDm('DM_ERR_NOT_INSTALLED'));
  await assert.rejects(again.install('absent', true), isDm('DM_ERR_INSTALL'));
});

const device = {
  devInfo: { devId: 'IMEI:1', man: 'M', mod: 'D' },
  account: { serverId: 's', serverUri: 'http://10.0.0.1:8080/dm', auth: { type: 'md5', username: 'u', password: 'p' } },
  components: [],
};

test('manifest config: defaults, directories under the file root, refusals name the key', () => {
  const c = readDeviceConfig({ file: { root: '/' }, dm: { device } });
  assert.equal(c.maxMsgSize, DEFAULT_MAX_MSG_SIZE);
  assert.equal(c.buttonPin, undefined);
  assert.equal(c.logLevel, 'info');
  assert.deepEqual(c.tree, DEFAULT_TREE);
  assert.equal(c.listMaxNodes, DEFAULT_LIST_MAX_NODES);
  assert.deepEqual(
    readDeviceConfig({ file: { root: '/' }, dm: { device, treeMaxNodes: 512, treeMaxValueBytes: 2048, treeMaxBytes: 32768 } }).tree,
    { maxNodes: 512, maxValueBytes: 2048, maxTreeValueBytes: 32768 },
  );
  assert.deepEqual([c.storageDir, c.packageDir, c.componentDir], ['/dm/', '/dm-pkg/', '/dm-comp/']);
  const d = readDeviceConfig({
    file: { root: '/Users/Shared/' },
    dm: { device, buttonPin: 0, maxMsgSize: 4096, logLevel: 'debug', caResource: 'lab-ca.der' },
  });
  assert.deepEqual(
    [d.buttonPin, d.maxMsgSize, d.logLevel, d.caResource, d.storageDir],
    [0, 4096, 'debug', 'lab-ca.der', '/Users/Shared/dm/'],
  );
  const refusals: [unknown, RegExp][] = [
    [{ dm: { device } }, /file\.root/],
    [{ file: { root: '/' } }, /dm is missing/],
    [{ file: { root: '/' }, dm: { device, buttonPin: 99 } }, /dm\.buttonPin/],
    [{ file: { root: '/' }, dm: { device, maxMsgSize: 100 } }, /dm\.maxMsgSize/],
    [{ file: { root: '/' }, dm: { device, logLevel: 'loud' } }, /dm\.logLevel/],
    [{ file: { root: '/' }, dm: { device, treeMaxNodes: 10 } }, /dm\.treeMaxNodes must be an integer 100\.\.2048/],
    [{ file: { root: '/' }, dm: { device, treeMaxBytes: 'lots' } }, /dm\.treeMaxBytes/],
    [{ file: { root: '/' }, dm: { device, listMaxNodes: 1000 } }, /dm\.listMaxNodes/],
    [{ file: { root: '/' }, dm: { device, caResource: '../x' } }, /dm\.caResource/],
    [{ file: { root: '/' }, dm: { device: { ...device, devInfo: {} } } }, /devInfo\.devId/],
  ];
  for (const [cfg, re] of refusals)
    assert.throws(
      () => readDeviceConfig(cfg),
      (e: unknown) => isDm('DM_ERR_CONFIG')(e) && re.test((e as Error).message),
    );
});

test('the manifests carry a config the reader accepts', async () => {
  const { readFileSync } = await import('node:fs');
  const shared = JSON.parse(readFileSync(new URL('../../../manifests/shared.json', import.meta.url), 'utf8')) as {
    config: Record<string, unknown>;
  };
  const c = readDeviceConfig({ ...shared.config, file: { root: '/' } });
  assert.equal(c.buttonPin, 0, 'Moddable Two: the button on GPIO 0');
  assert.ok(c.desc.components.length > 0, 'c.desc.components.length > 0');
});
