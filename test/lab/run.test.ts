// `dm-agent run` over real HTTP on loopback against the embedded demo server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lab/cli.js';
import { DemoDmServer } from '../../lab/demo/responder.js';
import { serveDemoHttp } from '../../lab/demo/http.js';
import { repoRoot } from '../helpers/peers.js';

class Sink { text = ''; write(s: string | Uint8Array) { this.text += typeof s === 'string' ? s : Buffer.from(s).toString(); return true; } }
const device = join(repoRoot, 'lab/examples/device.json');

async function run(args: string[]) {
  const out = new Sink();
  const code = await main(['run', ...args], out as never, out as never);
  return { code, text: out.text };
}

test('run: a user check over HTTP with confirm, XML and WBXML, traced to a file', async () => {
  for (const encoding of ['xml', 'wbxml']) {
    const server = new DemoDmServer({ users: { dmuser: 'dmpass' }, serverUri: 'http://127.0.0.1/dm', catalog: [{ id: 'com.example.weather', name: 'Weather', version: '2.0' }] });
    const http = await serveDemoHttp(server);
    const dir = mkdtempSync(join(tmpdir(), 'run-'));
    writeFileSync(join(dir, 'answers'), 'yes\n');
    const r = await run(['--device', device, '--server', http.url, '--encoding', encoding, '--trigger', 'user', '--component', 'app1',
      '--answers', join(dir, 'answers'), '--trace', join(dir, 'trace.xml'), '--state', join(dir, 'state')]);
    await http.close();
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /session ended well: 1 session\(s\), 5 round trips/);
    assert.match(r.text, /0 alert\(s\) still queued/);
    assert.match(server.log.join(';'), /user answered 200/);
    const trace = readFileSync(join(dir, 'trace.xml'), 'utf8');
    assert.match(trace, /── device → http:\/\/127\.0\.0\.1:\d+\/dm/);
    assert.match(trace, /UpdateUserRequest/);
  }
});

test('run: wrong password — challenged, then a real failure (exit 1) with the alert still queued', async () => {
  const server = new DemoDmServer({ users: { dmuser: 'other' }, serverUri: 'http://127.0.0.1/dm', catalog: [] });
  const http = await serveDemoHttp(server);
  const dir = mkdtempSync(join(tmpdir(), 'run-'));
  const r = await run(['--device', device, '--server', http.url, '--trigger', 'device', '--state', join(dir, 'state')]);
  await http.close();
  assert.equal(r.code, 1);
  assert.match(r.text, /DM_ERR_AUTH/);
  assert.match(r.text, /1 alert\(s\) still queued/);
  assert.equal(server.log.filter((l) => l.startsWith('challenge')).length, 3, 'initial try and 2 retries');
});

test('run: server unreachable — clean failure, the alert kept in the state dir for the next run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-'));
  const r = await run(['--device', device, '--server', 'http://127.0.0.1:9/dm', '--trigger', 'device', '--state', join(dir, 'state')]);
  assert.equal(r.code, 1);
  assert.match(r.text, /DM_ERR_TRANSPORT/);
  assert.match(readFileSync(join(dir, 'state', 'alerts'), 'utf8'), /UpdateDeviceRequest/);
});
