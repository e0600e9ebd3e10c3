// dm-agent package build / inspect: packages for the lab catalog and for a Moddable device, checked as the
// lab server and the devices would check them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { main } from '../../lab/cli.js';
import { moddableMaxPackageBytes, NODE_MAX_PACKAGE_BYTES, type PackageReport } from '../../lab/commands/package.js';
import { parseCatalog } from '../../lab/server/catalog.js';
import { parsePackage } from '../../platform/moddable/lib/mod-package.js';
import { FileInstaller } from '../../platform/node/file-installer.js';
import type { Downloader } from '../../agent/ports.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { repoRoot } from '../helpers/peers.js';

// Until lab/cli.ts lists the verb, the test lists it (as the CLI's registry would).

async function dm(...argv: string[]) {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        add(String(chunk));
        done();
      },
    });
  const code = await main(
    argv,
    sink((s) => {
      out += s;
    }),
    sink((s) => {
      err += s;
    }),
  );
  return { code, out, err };
}

/** An XS archive as mcrun writes one: its first atom `XS_A`, whose size is the archive's length. */
function archive(n: number): Uint8Array {
  const a = new Uint8Array(n);
  a.set([n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255, ...Buffer.from('XS_A')]);
  for (let i = 8; i < n; i++) a[i] = i & 255;
  return a;
}

test('build without --module: a JSON manifest the lab catalog serves and the Node FileInstaller installs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkg-'));
  const file = join(dir, 'app1-2.1.json');
  const r = await dm(
    'package',
    'build',
    '--id',
    'com.example.weather',
    '--name',
    'Weather',
    '--version',
    '2.1',
    '--payload',
    'new forecasts',
    '--out',
    file,
  );
  assert.equal(r.code, 0, r.err);
  const bytes = readFileSync(file);
  assert.deepEqual(JSON.parse(bytes.toString('utf8')), {
    id: 'com.example.weather',
    name: 'Weather',
    version: '2.1',
    payload: 'new forecasts',
  });
  assert.match(r.out, new RegExp(`sha256   ${createHash('sha256').update(bytes).digest('hex')}`));
  assert.match(r.out, /^fits {5}Node device and lab catalog \(at most 1048576 bytes\)$/m);
  assert.match(r.out, /^fits {5}Moddable device/m);
  // The lab catalog takes it as it is; the Node device installs it.
  const cat = parseCatalog({ components: [{ id: 'com.example.weather', name: 'Weather', version: '2.1', package: 'app1-2.1.json' }] }, dir);
  assert.equal(cat.entries[0]!.size, bytes.length);
  const stored = {
    storedSize: () => bytes.length,
    read: (_id: string, off: number, n: number) => new Uint8Array(bytes.subarray(off, off + n)),
  };
  const installed = await new FileInstaller(new MemoryStorage(), stored as unknown as Downloader).install('p', true);
  assert.deepEqual(
    installed.map((c) => [c.id, c.version]),
    [['com.example.weather', '2.1']],
  );
});

test('build --module: header, NUL, the archive; what the Moddable installer reads back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkg-'));
  writeFileSync(join(dir, 'mod.xsa'), archive(300));
  const file = join(dir, 'w.pkg');
  const r = await dm(
    'package',
    'build',
    '--id',
    'com.example.weather',
    '--version',
    '3.0',
    '--module',
    join(dir, 'mod.xsa'),
    '--out',
    file,
  );
  assert.equal(r.code, 0, r.err);
  const bytes = new Uint8Array(readFileSync(file));
  const p = parsePackage('w', bytes.length, (off, n) => bytes.subarray(off, off + n));
  assert.deepEqual(p.info, { id: 'com.example.weather', name: 'com.example.weather', version: '3.0' });
  assert.equal(p.module, 'mod');
  assert.equal(p.archiveLength, 300);
  assert.deepEqual(bytes.subarray(p.archiveOffset), archive(300));
  assert.match(r.out, /^archive {2}mod archive of 300 bytes after the header$/m);
  assert.match(r.out, /^refused {2}Node device and lab catalog .*: has a mod archive/m);
  assert.match(r.out, /^fits {5}Moddable device/m);
  // Not an archive: refused, nothing written.
  writeFileSync(join(dir, 'bad.xsa'), 'not an archive at all');
  const bad = await dm('package', 'build', '--id', 'x', '--version', '1', '--module', join(dir, 'bad.xsa'), '--out', join(dir, 'bad.pkg'));
  assert.equal(bad.code, 1);
  assert.match(bad.err, /is not an XS archive/);
});

test('inspect: size, SHA-256, id, version, and each limit met or refused with why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkg-'));
  const example = join(repoRoot, 'lab/examples/packages/app1-2.0.json');
  const r = await dm('package', 'inspect', '--json', example);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out) as PackageReport;
  const bytes = readFileSync(example);
  assert.deepEqual(
    [rep.size, rep.sha256, rep.id, rep.version, rep.archiveBytes],
    [bytes.length, createHash('sha256').update(bytes).digest('hex'), 'com.example.weather', '2.0', 0],
  );
  assert.deepEqual(
    rep.limits.map((l) => l.ok),
    [true, true],
  );
  // Over 1 MiB: the Node device refuses it (it would answer 1404 before the download), and so does a Moddable one.
  const big = join(dir, 'big.json');
  writeFileSync(big, JSON.stringify({ id: 'a', name: 'A', version: '1.0', payload: 'x'.repeat(NODE_MAX_PACKAGE_BYTES) }));
  const b = JSON.parse((await dm('package', 'inspect', '--json', big)).out) as PackageReport;
  assert.match(b.limits[0]!.why ?? '', /more than 1048576/);
  assert.equal(b.limits[1]!.ok, false, 'the Moddable device refuses it too');
  // A mod package over the Moddable limit.
  const max = moddableMaxPackageBytes();
  assert.equal(max, JSON.parse(readFileSync(join(repoRoot, 'manifests/shared.json'), 'utf8')).config.dm.maxPackageBytes);
  writeFileSync(join(dir, 'big.xsa'), archive(max));
  await dm('package', 'build', '--id', 'a', '--version', '1.0', '--module', join(dir, 'big.xsa'), '--out', join(dir, 'big.pkg'));
  const t = await dm('package', 'inspect', join(dir, 'big.pkg'));
  assert.equal(t.code, 0, t.err);
  assert.match(
    t.out,
    new RegExp(`^refused  Moddable device \\(at most ${max} bytes\\): \\d+ bytes, more than ${max} \\(dm.maxPackageBytes\\)$`, 'm'),
  );
  // Not a package at all: exit 1.
  writeFileSync(join(dir, 'junk'), 'hello');
  const j = await dm('package', 'inspect', join(dir, 'junk'));
  assert.equal(j.code, 1);
  assert.match(j.err, /is not a package: its text is not JSON/);
});

test('package: usage errors name the mistake; --help shows both forms', async () => {
  const h = await dm('package', '--help');
  assert.equal(h.code, 0);
  assert.match(h.out, /dm-agent package build --id ID --version V/);
  assert.match(h.out, /dm-agent package inspect \[--json\] FILE/);
  assert.match((await dm('package', 'build', '--help')).out, /usage: dm-agent package build --id ID --version V/);
  const typo = await dm('package', 'inspec', 'x');
  assert.equal(typo.code, 2);
  assert.match(typo.err, /ACTION must be build or inspect, not 'inspec' \(did you mean inspect\?\)/);
  const noVersion = await dm('package', 'build', '--id', 'a');
  assert.equal(noVersion.code, 2);
  assert.match(noVersion.err, /--version V is required/);
  const badVersion = await dm('package', 'build', '--id', 'a', '--version', 'beta');
  assert.match(badVersion.err, /--version must be dotted numeric/);
  assert.equal((await dm('package')).code, 2);
});
