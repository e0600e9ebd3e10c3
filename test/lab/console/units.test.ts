import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { captureHeader, captureLine, parseCapture } from '../../../lab/console/capture.js';
import { QueuedFailures } from '../../../lab/console/failures.js';
import { LIMITS, SessionLog } from '../../../lab/console/session-log.js';
import { maskSecrets, MASK } from '../../../lab/console/mask.js';
import { ruleFor } from '../../../lab/console/rules.js';
import { parseInputEvent } from '../../../lab/console/sim.js';
import { encodeWbxmlMessage } from '../../../agent/syncml/wbxml-encode.js';
import { devMsg, pkg1Body } from '../server/fixtures.js';
import { makeServer, exchange } from '../server/fixtures.js';
import { postDm, startConsoleLab } from './helpers.js';
import { dmTopics } from '../../../agent/binding/mqtt-topics.js';

const rec = (n: number) =>
  captureLine({
    at: '2026-01-01T00:00:00.000Z',
    session: 's1',
    devId: 'D',
    sessionId: '1',
    dir: 'device',
    contentType: 'x',
    bytes: new Uint8Array([n]),
  });

test('a capture cut short reads up to its last whole line; a bad line in the middle, or no header, is an error naming the line', () => {
  const whole = captureHeader() + rec(1) + rec(2);
  assert.equal(parseCapture(whole).length, 2);
  assert.deepEqual(
    parseCapture(whole + rec(3).slice(0, 20)).map((r) => r.bytes[0]),
    [1, 2],
    'the partial last line is dropped',
  );
  assert.throws(() => parseCapture(`${captureHeader()}{oops\n${rec(1)}`), /capture line 2: not JSON/);
  assert.throws(() => parseCapture(rec(1)), /capture line 1: not a dm-agent-capture file/);
  assert.throws(
    () => parseCapture(`${captureHeader()}${rec(1).replace('"device"', '"both"')}`),
    /capture line 2: dir must be 'device' or 'server'/,
  );
});

test('a queued scenario fires for its device and its session only, at its message, once', () => {
  const plan = new QueuedFailures([]);
  assert.ok(plan.queue('A', 'session-abort', 3), 'queued');
  plan.focus('B', 3);
  assert.equal(plan.take('abort-session', 2), undefined, 'another device');
  plan.focus('A', 2);
  assert.equal(plan.take('abort-session', 2), undefined, 'an earlier session of the device');
  plan.focus('A', 3);
  assert.equal(plan.take('abort-session', 1), undefined, 'another message');
  assert.deepEqual(plan.take('abort-session', 2), { kind: 'abort-session', message: 2 });
  assert.equal(plan.take('abort-session', 2), undefined, 'once');
  assert.deepEqual(plan.queued('A'), []);
  plan.queue('A', 'no-update', 3);
  plan.focus('A', 4);
  assert.equal(plan.take('no-update'), undefined, 'a session that has passed drops it');
  assert.deepEqual(plan.queued('A'), []);
});

test('the scenario’s own failures still fire with a console plan in place', () => {
  const plan = new QueuedFailures([{ kind: 'no-update' }]);
  plan.focus('A', 1);
  assert.deepEqual(plan.take('no-update'), { kind: 'no-update' });
});

test('the session log keeps the newest sessions only', async () => {
  const log = new SessionLog();
  const { server } = makeServer({ observer: log });
  log.attach(server);
  for (let i = 0; i < LIMITS.sessions + 3; i++)
    await exchange(server, devMsg({ msgId: 1, body: pkg1Body(), sessionId: (i + 1).toString(16) }));
  const kept = log.list();
  assert.equal(kept.length, LIMITS.sessions);
  assert.equal(kept[0]!.id, `s${LIMITS.sessions + 3}`, 'newest first');
  assert.equal(kept.at(-1)!.id, 's4', 'the three oldest went');
});

test('masking: a basic Cred and secret nodes, in the header, in items and in Status; an MD5 digest is kept', () => {
  const m = devMsg({ msgId: 1, body: pkg1Body() });
  m.hdr.cred = { meta: { type: 'syncml:auth-basic' }, data: 'ZG06cHc=' };
  m.body.push({
    kind: 'Replace',
    cmdId: '7',
    items: [
      { source: { locURI: './DMAcc/x/AppAuth/1/AAuthSecret' }, data: 'pw' },
      { source: { locURI: './Vendor/AdminPassword' }, data: 'pw2' },
    ],
  });
  assert.equal(maskSecrets(m), true);
  assert.equal(m.hdr.cred.data, MASK);
  const items = (m.body.at(-1) as { items: { data?: unknown }[] }).items;
  assert.deepEqual(
    items.map((i) => i.data),
    [MASK, MASK],
  );
  const md5 = devMsg({ msgId: 1, body: pkg1Body() });
  md5.hdr.cred = { meta: { type: 'syncml:auth-md5' }, data: 'digest==' };
  assert.equal(maskSecrets(md5), false);
  assert.equal(md5.hdr.cred.data, 'digest==');
});

test('every deviation message the lab server writes today has a rule of its own', () => {
  for (const m of [
    'MsgID 3 after 1 (MsgIDs go up by one per message)',
    'Content-Type text/xml but the body is XML',
    'encoding changed to wbxml within the session',
  ]) {
    assert.notEqual(ruleFor(m), 'OMA DM 1.2 (see the message)', m);
  }
  assert.equal(ruleFor('anything', 'DM Security 5.1'), 'DM Security 5.1', 'a rule the deviation carries wins');
});

test('the page can send only the input events a screen takes', () => {
  assert.deepEqual(parseInputEvent({ kind: 'yes' }), { kind: 'yes' });
  assert.deepEqual(parseInputEvent({ kind: 'pick', index: 2 }), { kind: 'pick', index: 2 });
  assert.equal(parseInputEvent({ kind: 'pick', index: -1 }), undefined);
  assert.equal(parseInputEvent({ kind: 'text', value: 'x'.repeat(2000) }), undefined);
  assert.equal(parseInputEvent({ kind: 'explode' }), undefined);
  assert.equal(parseInputEvent('yes'), undefined);
});

test('a WBXML session is shown decoded, as XML', async () => {
  const c = await startConsoleLab();
  try {
    const msg = devMsg({ msgId: 1, body: pkg1Body() });
    msg.hdr.target = { locURI: c.lab.dmUrl };
    const r = await fetch(c.lab.dmUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.syncml.dm+wbxml' },
      body: encodeWbxmlMessage(msg),
    });
    assert.equal(r.status, 200);
    const v = (await (await fetch(`${c.origin}/api/sessions/s1`)).json()) as {
      encoding: string;
      messages: { encoding: string; xml: string }[];
    };
    assert.equal(v.encoding, 'wbxml');
    assert.deepEqual(
      v.messages.map((m) => m.encoding),
      ['wbxml', 'wbxml'],
    );
    assert.match(v.messages[0]!.xml, /^<SyncML xmlns="SYNCML:SYNCML1.2">\n {2}<SyncHdr>/);
  } finally {
    await c.close();
  }
});

test('the notify action publishes on the device’s notify topic; without MQTT it is refused (409)', async () => {
  const c = await startConsoleLab({ mqtt: true });
  const plain = await startConsoleLab();
  const client = await mqtt.connectAsync(c.lab.brokerUrl!);
  try {
    const topic = dmTopics('IMEI:1').notify;
    await client.subscribeAsync(topic, { qos: 1 });
    const got = new Promise<string>((resolve) => client.on('message', (t) => resolve(t)));
    const r = await fetch(`${c.origin}/api/devices/IMEI%3A1/notify`, { method: 'POST' });
    assert.equal(r.status, 202);
    assert.equal(await got, topic);
    assert.equal((await fetch(`${plain.origin}/api/devices/IMEI%3A1/notify`, { method: 'POST' })).status, 409);
    assert.equal((await postDm(plain, devMsg({ msgId: 1, body: pkg1Body() }))).status, 200, 'the DM endpoint is untouched');
  } finally {
    await client.endAsync();
    await c.close();
    await plain.close();
  }
});

test('serve asks for a token on any address but loopback (one it makes), or when given one; none on 127.0.0.1', async () => {
  const { consoleFor } = await import('../../../lab/commands/serve.js');
  const log = { log: () => {} };
  const cases = [
    consoleFor({ host: '127.0.0.1', 'no-console': false }, log),
    consoleFor({ host: '0.0.0.0', 'no-console': false }, log),
    consoleFor({ host: '127.0.0.1', 'no-console': false, 'console-token': 'mine' }, log),
  ];
  try {
    assert.equal(cases[0]!.token, undefined, 'loopback');
    assert.match(cases[1]!.token ?? '', /^[A-Za-z0-9_-]{22}$/, 'another address: 128 random bits');
    assert.equal(cases[2]!.token, 'mine', 'given');
    assert.equal(consoleFor({ host: '0.0.0.0', 'no-console': true }, log), undefined, '--no-console without --capture: no console');
  } finally {
    for (const c of cases) c?.close();
  }
});

test('an uploaded mod package (header, NUL, archive) is offered for the Moddable device; one no device takes is refused with both reasons', async () => {
  const { addUploadedPackage } = await import('../../../lab/console/catalog-upload.js');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'upload-'));
  const catalog = { entries: [], packagesDir: dir };
  const head = new TextEncoder().encode(JSON.stringify({ id: 'com.example.mod', name: 'Mod', version: '1.1', module: 'mod' }));
  // An XS archive begins with its size (big-endian) and 'XS_A' (platform/moddable/lib/mod-package.ts).
  const archive = new Uint8Array(16);
  new DataView(archive.buffer).setUint32(0, 16);
  archive.set(new TextEncoder().encode('XS_A'), 4);
  const pkg = new Uint8Array([...head, 0, ...archive]);
  const e = addUploadedPackage(catalog, dir, pkg);
  assert.equal(e.fileName, 'com.example.mod-1.1.pkg');
  assert.throws(
    () => addUploadedPackage(catalog, dir, new Uint8Array([...head, 0, 1, 2, 3])),
    /package refused: Node device and lab catalog: has a mod archive.*; Moddable device: /,
  );
});

test('the console options of demo and fleet are refused where they do not apply (usage errors)', async () => {
  const { main } = await import('../../../lab/cli.js');
  const { Writable } = await import('node:stream');
  let err = '';
  const sinkErr = new Writable({
    write(chunk, _e, cb) {
      err += String(chunk);
      cb();
    },
  });
  const none = new Writable({ write: (_c, _e, cb) => cb() });
  assert.equal(await main(['demo', '--http', '1'], none, sinkErr), 2);
  assert.match(err, /--http applies to --console only/);
  assert.equal(await main(['fleet', '--devices', '1', '--server', 'http://127.0.0.1:1/dm', '--console'], none, sinkErr), 2);
  assert.match(err, /--console needs --server inproc/);
});
