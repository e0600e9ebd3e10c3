import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileInstaller } from '../../../platform/node/file-installer.js';
import { FileStorage } from '../../../platform/node/file-storage.js';
import { DmError } from '../../../agent/errors.js';
import { FakeDownloader } from '../../helpers/fake-downloader.js';

const weather = { id: 'com.example.weather', name: 'Weather', version: '1.0' };

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'inst-'));
  const dl = new FakeDownloader();
  return { dir, dl, inst: new FileInstaller(new FileStorage(dir), dl, [weather]) };
}

test('install replaces the component, survives a restart, and activate/deactivate/remove change the record', async () => {
  const { dir, dl, inst } = setup();
  dl.store.set('pkg', new TextEncoder().encode(JSON.stringify({ ...weather, version: '2.0', payload: 'x' })));
  assert.deepEqual(await inst.install('pkg', false), [{ ...weather, version: '2.0' }]);
  const again = new FileInstaller(new FileStorage(dir), dl, [weather]);
  assert.deepEqual(again.installed(), [{ ...weather, version: '2.0' }], 'the seed does not overwrite what is installed');
  assert.equal(again.list()[0]!.active, false);
  await again.activate(weather.id);
  assert.equal(again.list()[0]!.active, true);
  await again.deactivate(weather.id);
  assert.equal(again.list()[0]!.active, false);
  await again.remove(weather.id);
  assert.deepEqual(again.installed(), []);
  await assert.rejects(again.activate(weather.id), (e: unknown) => e instanceof DmError && e.status === 404);
});

test('a package that is missing, not JSON or without an id is refused and changes nothing', async () => {
  const { dl, inst } = setup();
  await assert.rejects(inst.install('none', true), /not in the package store/);
  dl.store.set('bad', new TextEncoder().encode('{"id":'));
  await assert.rejects(inst.install('bad', true), /not JSON/);
  dl.store.set('noid', new TextEncoder().encode('{"name":"x","version":"1"}'));
  await assert.rejects(inst.install('noid', true), /has no id/);
  assert.deepEqual(inst.installed(), [weather]);
});

test('an empty installed index is kept aside as installed.corrupt and rebuilt from the component files and the shipped ones', async () => {
  const { dir, dl, inst } = setup();
  const sensor = { id: 'com.example.sensor', name: 'Sensor', version: '3.0' };
  dl.store.set('pkg', new TextEncoder().encode(JSON.stringify(sensor)));
  await inst.install('pkg', true);
  const storage = new FileStorage(dir);
  storage.write('installed', '');
  const lines: string[] = [];
  const again = new FileInstaller(storage, dl, [weather], {
    where: join(dir, 'installed'),
    log: { log: (level, m) => lines.push(`${level} ${m}`) },
  });
  assert.deepEqual(
    again
      .installed()
      .map((c) => c.id)
      .sort(),
    [sensor.id, weather.id],
  );
  assert.equal(storage.read('installed.corrupt'), '', 'the unreadable index is kept');
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, new RegExp(`^warn ${join(dir, 'installed')}: unreadable component list`));
  assert.deepEqual(new FileInstaller(storage, dl, [weather]).installed().length, 2, 'the rebuilt index is read at the next boot');
});
