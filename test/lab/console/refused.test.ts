// Messages the lab server refuses before they match a session (no SyncML reply, an HTTP status and why) are
// in the console: an entry of their own in /api/sessions (status refused, the reason), their bytes in the
// session's view and exports, and in the capture file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsoleLab, type ConsoleLab } from './helpers.js';
import { parseCapture } from '../../../lab/console/capture.js';
import { firmwareView } from '../../../lab/console/firmware.js';
import { encodeXml } from '../../../agent/syncml/xml-encode.js';
import { utf8Decode } from '../../../agent/util/bytes.js';
import { devMsg, pkg1Body } from '../server/fixtures.js';
import type { Deployment } from '../../../lab/server/dm-server.js';

interface Summary {
  id: string;
  devId: string;
  status: string;
  reason: string | null;
  messages: number;
  last: string;
}

async function post(c: ConsoleLab, body: Uint8Array | string, contentType: string): Promise<number> {
  const r = await fetch(c.lab.dmUrl, { method: 'POST', headers: { 'Content-Type': contentType }, body });
  await r.text();
  return r.status;
}

const sessions = async (c: ConsoleLab, q = '') => (await (await fetch(`${c.origin}/api/sessions${q}`)).json()) as Summary[];

test('a message refused before it matches a session (415, 400, 413) is listed as refused, with the reason and the bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-refused-'));
  const capture = join(dir, 'lab.capture.jsonl');
  const c = await startConsoleLab({ console: { capture }, strict: true });
  try {
    const msg = devMsg({ msgId: 1, body: pkg1Body(), devId: 'IMEI:strict' });
    // Strict mode refuses the SyncML DS media type; the body is a readable DM message, so the device is named.
    assert.equal(await post(c, encodeXml(msg), 'application/vnd.syncml+xml'), 415);
    assert.equal(await post(c, '<SyncML><SyncHdr>', 'application/vnd.syncml.dm+xml'), 400);
    assert.equal(await post(c, new Uint8Array((1 << 20) + 10).fill(0x41), 'application/vnd.syncml.dm+xml'), 413);

    const list = await sessions(c, '?status=refused');
    assert.equal(list.length, 3, 'three refused entries');
    const [big, broken, ds] = list;
    assert.equal(ds!.status, 'refused');
    assert.equal(ds!.devId, 'IMEI:strict');
    assert.match(ds!.reason!, /Content-Type 'application\/vnd\.syncml\+xml' is not .*strict mode refuses the SyncML DS media type/);
    assert.equal(ds!.messages, 2, 'the device message and the answer');
    assert.match(broken!.reason!, /device message refused \(DM_ERR_\w+, status 400\)/);
    assert.equal(broken!.devId, '', 'an unreadable message names no device');
    assert.match(big!.reason!, /request body of \d+ bytes exceeds 1048576/);
    assert.match(big!.last, /^HTTP 413: request body/);

    const view = (await (await fetch(`${c.origin}/api/sessions/${ds!.id}`)).json()) as {
      reason: string;
      messages: { dir: string; httpStatus?: number; xml: string; truncated?: boolean }[];
    };
    assert.equal(view.reason, ds!.reason);
    assert.match(view.messages[0]!.xml, /<LocURI>IMEI:strict<\/LocURI>/, 'the device message decoded');
    assert.equal(view.messages[1]!.httpStatus, 415);
    const bigView = (await (await fetch(`${c.origin}/api/sessions/${big!.id}`)).json()) as typeof view;
    assert.equal(bigView.messages[0]!.truncated, true, 'of a 413, the first bytes only');

    // Exported as raw bytes: the device's bytes as they came, and the server's answer.
    const exported = parseCapture(await (await fetch(`${c.origin}/api/sessions/${ds!.id}/capture`)).text());
    assert.deepEqual(
      exported.map((r) => [r.dir, r.httpStatus]),
      [
        ['device', undefined],
        ['server', 415],
      ],
    );
    assert.equal(utf8Decode(exported[0]!.bytes), utf8Decode(encodeXml(msg)));
    assert.match(await (await fetch(`${c.origin}/api/sessions/${ds!.id}/xml`)).text(), /refused: Content-Type/);
    // And in serve --capture's file, as every other message.
    c.bench.close();
    const captured = parseCapture(readFileSync(capture, 'utf8'));
    assert.equal(captured.filter((r) => r.dir === 'server' && r.httpStatus === 415).length, 1);
  } finally {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a session a device begins after a refused message is its own entry, not the refused one', async () => {
  const c = await startConsoleLab();
  try {
    assert.equal(await post(c, 'hello', 'text/plain'), 415);
    const msg = devMsg({ msgId: 1, body: pkg1Body(), devId: 'IMEI:next' });
    msg.hdr.target = { locURI: c.lab.dmUrl };
    assert.equal(await post(c, encodeXml(msg), 'application/vnd.syncml.dm+xml'), 200);
    const list = await sessions(c);
    assert.deepEqual(
      list.map((s) => [s.devId, s.status === 'refused' ? 'refused' : 'served', s.reason !== null]),
      [
        ['IMEI:next', 'served', false],
        ['', 'refused', true],
      ],
    );
  } finally {
    await c.close();
  }
});

test('the firmware view: the firmware deployment pending until its result, the last FUMO result', () => {
  const dep = (operation: Deployment['operation'], state: Deployment['state']): Deployment => ({
    devId: 'D',
    sessionId: '1',
    correlator: `c-${operation}`,
    componentId: operation === 'DownloadAndUpdate' ? 'firmware:M' : 'com.example.weather',
    version: '2.0',
    node: './FUMO/fw',
    operation,
    state,
  });
  assert.equal(firmwareView(undefined, [], []), null, 'nothing read, nothing pending: none');
  const v = firmwareView(
    { version: '1.0', state: '50', at: 0, session: 's1' },
    [dep('DownloadInstall', 'sent'), dep('DownloadAndUpdate', 'accepted')],
    [],
  );
  assert.equal(v?.pending?.correlator, 'c-DownloadAndUpdate', 'the firmware one, not the component one');
  assert.equal(v?.stateName, 'ready to update');
  const w = firmwareView(
    undefined,
    [],
    [
      { devId: 'D', sessionId: '2', at: 5, resultCode: 1200, ok: true, firmware: false },
      { devId: 'D', sessionId: '3', at: 9, resultCode: 410, ok: false, firmware: true, correlator: 'k' },
    ],
  );
  assert.deepEqual([w?.lastResult?.resultCode, w?.lastResult?.ok, w?.lastResult?.correlator], [410, false, 'k']);
});
