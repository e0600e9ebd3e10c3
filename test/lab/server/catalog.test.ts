import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareVersions, findUpdate, parseCatalog, entryByFile } from '../../../lab/server/catalog.js';
import { exampleCatalog } from './fixtures.js';

function dirWith(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'labcat-'));
  mkdirSync(join(d, 'packages'));
  for (const [n, v] of Object.entries(files)) writeFileSync(join(d, 'packages', n), v);
  return d;
}
const manifest = (id: string, version: string) => JSON.stringify({ id, name: id, version, payload: 'x' });

test('compareVersions: dotted numeric, missing parts are zero', () => {
  assert.ok(compareVersions('1.10', '1.9') > 0, "compareVersions('1.10', '1.9') > 0");
  assert.equal(compareVersions('2', '2.0.0'), 0);
  assert.ok(compareVersions('1.4', '1.5') < 0, "compareVersions('1.4', '1.5') < 0");
  assert.ok(compareVersions('beta', 'alpha') > 0, 'non-numeric versions still order');
});

test('example catalog: size and SHA-256 come from the package files', () => {
  const c = exampleCatalog();
  assert.deepEqual(
    c.entries.map((e) => `${e.id} ${e.version} ${e.autoUpdate}`),
    ['com.example.weather 2.0 false', 'com.example.sensor 1.5 true'],
  );
  for (const e of c.entries) {
    const bytes = readFileSync(e.file);
    assert.equal(e.size, bytes.length);
    assert.equal(e.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(entryByFile(c, e.fileName), e);
    const m = JSON.parse(bytes.toString()) as Record<string, unknown>;
    assert.deepEqual([m.id, m.name, m.version], [e.id, e.name, e.version], 'the manifest shape the FileInstaller installs');
  }
});

test('findUpdate: only newer, the newest of several', () => {
  const d = dirWith({ 'a1.json': manifest('a', '1.1'), 'a2.json': manifest('a', '1.2') });
  const c = parseCatalog(
    {
      components: [
        { id: 'a', name: 'A', version: '1.1', package: 'packages/a1.json' },
        { id: 'a', name: 'A', version: '1.2', package: 'packages/a2.json' },
      ],
    },
    d,
  );
  assert.equal(findUpdate(c, 'a', '1.0')?.version, '1.2');
  assert.equal(findUpdate(c, 'a', '1.2'), undefined);
  assert.equal(findUpdate(c, 'b', '0.1'), undefined);
});

test('catalog errors name the field and the problem', () => {
  const d = dirWith({ 'a.json': manifest('a', '1.0'), 'bad.json': '{nope' });
  const bad = (json: unknown, re: RegExp) =>
    assert.throws(
      () => parseCatalog(json, d),
      (e: Error & { code?: string }) => e.code === 'DM_ERR_CONFIG' && re.test(e.message),
    );
  bad({}, /expected an object \{ "components"/);
  bad(
    { components: [{ id: 'a', name: 'A', version: 'v1', package: 'packages/a.json' }] },
    /components\[0\]\.version 'v1' is not dotted numeric/,
  );
  bad({ components: [{ id: 'a', name: 'A', version: '1.0', package: 'packages/missing.json' }] }, /cannot be read/);
  bad({ components: [{ id: 'a', name: 'A', version: '1.0', package: 'packages/bad.json' }] }, /not a JSON manifest/);
  bad(
    { components: [{ id: 'b', name: 'B', version: '1.0', package: 'packages/a.json' }] },
    /manifest says a 1\.0, the catalog says b 1\.0/,
  );
  bad({ components: [{ id: 'a', name: 'A', version: '1.0', package: 'packages/a.json', size: 3 }] }, /size is 3 but a\.json has \d+ bytes/);
  bad({ components: [{ id: 'a', name: 'A', version: '1.0', package: 'packages/a.json', sha256: 'ab' }] }, /sha256 does not match/);
  bad(
    { components: [{ id: 'a', name: 'A', version: '1.0', package: 'packages/a.json', autoUpdate: 'yes' }] },
    /autoUpdate must be true or false/,
  );
  const ok = parseCatalog(
    {
      components: [
        {
          id: 'a',
          name: 'A',
          version: '1.0',
          package: 'packages/a.json',
          sha256: createHash('sha256').update(manifest('a', '1.0')).digest('hex').toUpperCase(),
        },
      ],
    },
    d,
  );
  assert.equal(ok.entries[0]!.size, manifest('a', '1.0').length, 'a stated SHA-256 is validated, in either case');
});

test('a Moddable mod package (JSON header, NUL, archive) is served as it is; its header is checked like a manifest', () => {
  const header = JSON.stringify({ id: 'w', name: 'W', version: '3.0', module: 'weather' });
  const archive = Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('XS_A'), Buffer.from([1, 2, 3, 4])]);
  const d = mkdtempSync(join(tmpdir(), 'labcat-'));
  mkdirSync(join(d, 'packages'));
  const pkg = Buffer.concat([Buffer.from(header), Buffer.from([0]), archive]);
  writeFileSync(join(d, 'packages', 'w.pkg'), pkg);
  writeFileSync(join(d, 'packages', 'other.pkg'), Buffer.concat([Buffer.from(header.replace('3.0', '2.0')), Buffer.from([0]), archive]));
  writeFileSync(join(d, 'packages', 'empty.pkg'), Buffer.concat([Buffer.from(header), Buffer.from([0])]));
  const c = parseCatalog({ components: [{ id: 'w', name: 'W', version: '3.0', package: 'packages/w.pkg' }] }, d);
  assert.equal(c.entries[0]!.size, pkg.length, 'the whole file, archive included');
  assert.equal(c.entries[0]!.sha256, createHash('sha256').update(pkg).digest('hex'));
  assert.throws(
    () => parseCatalog({ components: [{ id: 'w', name: 'W', version: '3.0', package: 'packages/other.pkg' }] }, d),
    /manifest says w 2\.0, the catalog says w 3\.0/,
  );
  assert.throws(
    () => parseCatalog({ components: [{ id: 'w', name: 'W', version: '3.0', package: 'packages/empty.pkg' }] }, d),
    /no archive after it/,
  );
});
