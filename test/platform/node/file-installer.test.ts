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
