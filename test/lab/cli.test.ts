import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage } from '../../agent/syncml/codec.js';
import type { AlertCmd } from '../../agent/syncml/model.js';
import { needDtd, needPeer, needShared, repoRoot, sharedDir, wbxml2xml, xmllintValidate } from '../helpers/peers.js';

const bin = join(repoRoot, 'lab/bin/dm-agent.js');
const device = join(repoRoot, 'lab/examples/device.json');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'buffer' });
  return { code: r.status, out: new Uint8Array(r.stdout), err: r.stderr.toString() };
};

test('alert prints package 1 for a user trigger on a component: the seed alert, valid XML', () => {
  const r = run('alert', '--device', device, '--trigger', 'user', '--component', 'app1');
  assert.equal(r.code, 0, r.err);
  const m = decodeMessage(r.out);
  const g = m.body.find((c) => c.kind === 'Alert' && c.data === '1226') as AlertCmd;
  assert.equal(g.items[0]!.meta?.type, 'urn:oma:at:scomo:1.1:UpdateUserRequest');
  assert.equal(g.items[0]!.source?.locURI, './SCOMO/Inventory/Deployed/app1');
  assert.equal(g.items[0]!.data, '');
  if (!needDtd()) assert.equal(xmllintValidate(r.out), '');
});

test('alert --wbxml prints WBXML that libwbxml decodes; a device trigger has no LocURI', () => {
  const r = run('alert', '--device', device, '--trigger', 'device', '--wbxml');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual([...r.out.subarray(0, 4)], [0x02, 0xa4, 0x01, 0x6a]);
  const g = decodeMessage(r.out).body.find((c) => c.kind === 'Alert' && c.data === '1226') as AlertCmd;
  assert.equal(g.items[0]!.meta?.type, 'urn:oma:at:scomo:1.1:UpdateDeviceRequest');
  assert.equal(g.items[0]!.source, undefined);
  if (!needPeer('wbxml2xml')) assert.match(wbxml2xml(r.out), /UpdateDeviceRequest/);
});

test('errors go to stderr with a non-zero exit: unknown component, bad trigger, missing file, unknown verb', () => {
  const unknown = run('alert', '--device', device, '--trigger', 'user', '--component', 'nope');
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no deployed component 'nope'.*DM_ERR_UNKNOWN_COMPONENT/);
  assert.equal(unknown.out.length, 0, 'nothing sent');
  const bad = run('alert', '--device', device, '--trigger', 'sometimes');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--trigger must be one of user\|device/);
  assert.equal(run('decode', '/nonexistent/file').code, 1);
  assert.equal(run('frobnicate').code, 2);
});

test('encode --wbxml then decode gives back the document; decode reads XML too', {
  skip: needShared('vectors/pkg2-server-ui-scomo.xml'),
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  const wb = run('encode', '--wbxml', join(sharedDir, 'vectors/pkg2-server-ui-scomo.xml'));
  assert.equal(wb.code, 0, wb.err);
  writeFileSync(join(dir, 'p.wbxml'), wb.out);
  const dec = run('decode', join(dir, 'p.wbxml'));
  assert.equal(dec.code, 0, dec.err);
  const text = Buffer.from(dec.out).toString('utf8');
  assert.match(text, /\n {8}<Data>MINDT=10&amp;MAXDT=30&amp;DR=1<\/Data>/, 'indented, entities escaped');
  const fromXml = run('decode', join(sharedDir, 'vectors/pkg2-server-ui-scomo.xml'));
  assert.equal(Buffer.from(fromXml.out).toString('utf8'), text);
  const garbage = join(dir, 'g.bin');
  writeFileSync(garbage, Buffer.from([0x02, 0xa4, 0x01, 0x6a, 0x05]));
  const g = run('decode', garbage);
  assert.equal(g.code, 1);
  assert.match(g.err, /WBXML .* at offset/);
  assert.ok(
    readFileSync(join(sharedDir, 'vectors/pkg2-server-ui-scomo.xml')).length > 0,
    "readFileSync(join(sharedDir, 'vectors/pkg2-server-ui-scomo.xml')).length > 0",
  );
});

test('alert --help prints its usage on stdout, exit 0 (it was "unknown option --help")', () => {
  const r = run('alert', '--help');
  assert.equal(r.code, 0, r.err);
  const text = Buffer.from(r.out).toString('utf8');
  assert.match(text, /^usage: dm-agent alert --device FILE --trigger user\|device \[options\]\n/);
  assert.match(text, /\n {2}--wbxml +WBXML instead of XML\n/);
  assert.equal(r.err, '');
});

test('a reader that closes the pipe early (| head -c 100) ends the command quietly, status 0', async () => {
  const child = spawn(process.execPath, [bin, 'alert', '--device', device, '--trigger', 'user'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(err, '');
  assert.equal(code, 0);
});
