import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { devMsg, pkg1Body } from '../server/fixtures.js';
import { postDm, startConsoleLab, type ConsoleLab } from './helpers.js';
import { base64Encode, utf8Encode } from '../../../agent/util/bytes.js';
import { buildPackage } from '../../../lab/commands/package.js';
import { MAX_UPLOAD } from '../../../lab/console/catalog-upload.js';
import { main } from '../../../lab/cli.js';
import type { SyncMLMessage } from '../../../agent/syncml/model.js';

const DEV = 'IMEI:493005100592800';

function to(c: ConsoleLab, msg: SyncMLMessage): SyncMLMessage {
  msg.hdr.target = { locURI: c.lab.dmUrl };
  return msg;
}

async function get(c: ConsoleLab, path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const r = await fetch(c.origin + path, { headers, redirect: 'manual' });
  return { status: r.status, text: await r.text() };
}

function sink(): { out: Writable; text: () => string } {
  let s = '';
  return {
    out: new Writable({
      write(chunk, _e, cb) {
        s += String(chunk);
        cb();
      },
    }),
    text: () => s,
  };
}

test('the console never shows a secret: a basic password and an AAuthSecret value are masked in every view and export', async () => {
  const c = await startConsoleLab({ devices: [{ username: 'dmuser', password: 's3cretPW', auth: 'basic' }] });
  try {
    const msg = to(c, devMsg({ msgId: 1, body: pkg1Body() }));
    msg.hdr.cred = { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: base64Encode(utf8Encode('dmuser:s3cretPW')) };
    msg.body.push({
      kind: 'Replace',
      cmdId: '9',
      items: [{ source: { locURI: './DMAcc/lab/AppAuth/1/AAuthSecret' }, data: 'topSecret42' }],
    });
    const r = await postDm(c, msg);
    assert.equal(r.status, 200, 'the session is served');
    const secrets = ['s3cretPW', base64Encode(utf8Encode('dmuser:s3cretPW')), 'topSecret42'];
    const views = [
      '/api/sessions',
      '/api/sessions/s1',
      '/api/sessions/s1/capture',
      '/api/sessions/s1/xml',
      '/api/devices',
      `/api/devices/${DEV}`,
    ];
    for (const path of views) {
      const v = await get(c, path);
      assert.equal(v.status, 200, `${path} answers`);
      for (const s of secrets) assert.ok(!v.text.includes(s), `${path} shows no secret (${s})`);
    }
    const view = JSON.parse((await get(c, '/api/sessions/s1')).text) as { messages: { xml: string }[] };
    assert.match(view.messages[0]!.xml, /\(secret, not shown\)/, 'the masked values say they are masked');
    // The export still reads back, its masked message flagged.
    const dir = mkdtempSync(join(tmpdir(), 'console-secret-'));
    const file = join(dir, 's1.capture.jsonl');
    (await import('node:fs')).writeFileSync(file, (await get(c, '/api/sessions/s1/capture')).text);
    const o = sink();
    assert.equal(await main(['decode', file], o.out), 0, 'decode reads the export');
    assert.match(o.text(), /device → server .*\(secrets masked\)/);
    for (const s of secrets) assert.ok(!o.text().includes(s), `the decoded export shows no secret (${s})`);
  } finally {
    await c.close();
  }
});

test('with a token: every request without it is refused (401); the bearer, or the cookie /?token= sets, lets it in', async () => {
  const c = await startConsoleLab({ console: { token: 'tok-123' }, page: true });
  try {
    assert.equal((await get(c, '/api/devices')).status, 401, 'no token');
    assert.equal((await get(c, '/')).status, 401, 'the page asks for it too');
    assert.equal((await get(c, '/api/devices', { Authorization: 'Bearer wrong' })).status, 401, 'a wrong token');
    assert.equal((await get(c, '/api/devices', { Authorization: 'Bearer tok-123' })).status, 200, 'the bearer token');
    const r = await fetch(`${c.origin}/?token=tok-123`, { redirect: 'manual' });
    assert.equal(r.status, 303, 'the address with the token redirects');
    const cookie = r.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^dm_console=tok-123; HttpOnly; SameSite=Strict/, 'to a cookie of this site only');
    assert.equal((await get(c, '/api/devices', { Cookie: 'dm_console=tok-123' })).status, 200, 'the cookie');
    assert.equal((await get(c, '/', { Cookie: 'dm_console=tok-123' })).status, 200, 'the page with the cookie');
    // The DM endpoint is not the console's: devices need no token.
    assert.equal((await postDm(c, to(c, devMsg({ msgId: 1, body: pkg1Body() })))).status, 200, 'devices are not asked for it');
  } finally {
    await c.close();
  }
});

test('another site cannot use the console: a Host not naming loopback (DNS rebinding) and a foreign Origin are refused (403)', async () => {
  const c = await startConsoleLab();
  try {
    const port = new URL(c.origin).port;
    const http = await import('node:http');
    const status = (headers: Record<string, string>, method = 'GET', path = '/api/devices') =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(method === 'POST' ? '{}' : undefined);
      });
    assert.equal(await status({ Host: 'evil.example:80' }), 403, 'a rebound name');
    assert.equal(await status({ Host: `localhost:${port}` }), 200, 'localhost');
    assert.equal(
      await status(
        { Host: `127.0.0.1:${port}`, Origin: 'http://evil.example', 'Content-Type': 'application/json' },
        'POST',
        `/api/devices/${DEV}/scenario`,
      ),
      403,
      'a post from another origin',
    );
  } finally {
    await c.close();
  }
});

test('uploads are bounded and checked: too large 413, not a package 400, a version not dotted 400, twice 409; a good one is offered and served', async () => {
  const c = await startConsoleLab();
  try {
    const upload = (body: Uint8Array) => fetch(`${c.origin}/api/catalog`, { method: 'POST', body });
    const before = c.catalog.entries.length;
    const big = await upload(new Uint8Array(MAX_UPLOAD + 1));
    assert.equal(big.status, 413, 'oversize');
    const garbage = await upload(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0x13]));
    assert.equal(garbage.status, 400, 'garbage');
    assert.match(((await garbage.json()) as { error: string }).error, /not a package/);
    const odd = await upload(utf8Encode(JSON.stringify({ id: 'com.example.weather', name: 'Weather', version: 'three' })));
    assert.equal(odd.status, 400, 'a version the catalog cannot order');
    assert.equal(c.catalog.entries.length, before, 'nothing refused was added');
    const pkg = buildPackage({ id: 'com.example.weather', name: 'Weather', version: '3.0', entry: 'mod', payload: 'Weather 3.0' });
    const ok = await upload(pkg);
    assert.equal(ok.status, 201, 'a good package');
    const entry = (await ok.json()) as { fileName: string; sha256: string; uploaded: boolean };
    assert.equal(entry.uploaded, true);
    assert.equal((await upload(pkg)).status, 409, 'the same version twice');
    const served = await fetch(`${c.lab.packagesUrl}/${entry.fileName}`);
    assert.equal(served.status, 200, 'the lab serves the uploaded file');
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), pkg);
    const list = JSON.parse((await get(c, '/api/catalog')).text) as { id: string; version: string }[];
    assert.ok(
      list.some((e) => e.version === '3.0'),
      'the catalog lists it',
    );
    const retire = await fetch(`${c.origin}/api/catalog/com.example.weather/3.0`, { method: 'DELETE' });
    assert.equal(retire.status, 200, 'retired');
    assert.ok(!c.catalog.entries.some((e) => e.version === '3.0'), 'no longer offered');
    assert.equal((await fetch(`${c.origin}/api/catalog/com.example.weather/3.0`, { method: 'DELETE' })).status, 404, 'retired already');
    assert.equal(
      (await fetch(`${c.lab.packagesUrl}/${entry.fileName}`)).status,
      200,
      'a retired file is still served (a download under way)',
    );
  } finally {
    await c.close();
  }
});

test("a scenario queued for a device's next session fires for that device only (HTTP 500), and an unknown one is refused", async () => {
  const c = await startConsoleLab();
  try {
    const q = (body: unknown) =>
      fetch(`${c.origin}/api/devices/${encodeURIComponent(DEV)}/scenario`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await q({ scenario: 'flood' })).status, 400, 'unknown scenario');
    const r = await q({ scenario: 'http-500' });
    assert.equal(r.status, 201);
    assert.deepEqual(((await r.json()) as { queued: unknown[] }).queued, [{ name: 'http-500', session: 1 }]);
    const other = to(c, devMsg({ msgId: 1, body: pkg1Body(), devId: 'IMEI:other' }));
    assert.equal((await postDm(c, other)).status, 200, 'another device is not touched');
    assert.equal((await postDm(c, to(c, devMsg({ msgId: 1, body: pkg1Body() })))).status, 500, 'this device gets it');
    assert.equal((await postDm(c, to(c, devMsg({ msgId: 1, body: pkg1Body() })))).status, 200, 'once');
    const s = JSON.parse((await get(c, '/api/sessions?device=IMEI:493005100592800')).text) as { id: string }[];
    const view = JSON.parse((await get(c, `/api/sessions/${s[0]!.id}`)).text) as { messages: { httpStatus?: number }[] };
    assert.equal(view.messages[1]!.httpStatus, 500, 'the session shows the 500');
  } finally {
    await c.close();
  }
});

test('a deviation is kept at the message it was found in, with its rule; sessions filter by device, status and deviation', async () => {
  const c = await startConsoleLab();
  try {
    await postDm(c, to(c, devMsg({ msgId: 1, body: pkg1Body(), sessionId: 'A1' })));
    await postDm(c, to(c, devMsg({ msgId: 2, body: pkg1Body(), sessionId: 'B2', devId: 'IMEI:two' })));
    const two = JSON.parse((await get(c, '/api/sessions?deviation=yes')).text) as { id: string; devId: string }[];
    assert.deepEqual(
      two.map((s) => s.devId),
      ['IMEI:two'],
      'only the session with a deviation',
    );
    assert.equal(JSON.parse((await get(c, '/api/sessions?deviation=no')).text).length, 1);
    assert.equal(JSON.parse((await get(c, `/api/sessions?device=${encodeURIComponent(DEV)}`)).text).length, 1);
    const view = JSON.parse((await get(c, `/api/sessions/${two[0]!.id}`)).text) as {
      messages: { dir: string; deviations: { text: string; rule: string }[] }[];
    };
    assert.deepEqual(view.messages[0]!.deviations, [
      { text: 'first message of the session has MsgID 2, not 1', rule: 'DM Protocol, SyncHdr: the first message of a session has MsgID 1' },
    ]);
    assert.deepEqual(view.messages[1]!.deviations, [], 'not on the reply');
  } finally {
    await c.close();
  }
});

test('/api/events streams each session as its messages come (Server-Sent Events)', async () => {
  const c = await startConsoleLab();
  const ac = new AbortController();
  try {
    const r = await fetch(`${c.origin}/api/events`, { signal: ac.signal });
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    const reader = r.body!.getReader();
    let text = '';
    const until = async (re: RegExp) => {
      while (!re.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${re}`);
        text += new TextDecoder().decode(value);
      }
    };
    await until(/event: hello/);
    await postDm(c, to(c, devMsg({ msgId: 1, body: pkg1Body() })));
    await until(/event: session\ndata: \{"id":"s1","devId":"IMEI:493005100592800"[^\n]*"messages":2/);
  } finally {
    ac.abort();
    await c.close();
  }
});

test('serve --capture writes every message; decode reads it (one session or all); replay plays the device side and compares', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-capture-'));
  const file = join(dir, 'lab.capture.jsonl');
  const c = await startConsoleLab({ devices: [{ username: 'dmuser', password: 'dmpass', auth: 'none' }], console: { capture: file } });
  try {
    await postDm(c, to(c, devMsg({ msgId: 1, body: pkg1Body(), sessionId: 'C1' })));
    await postDm(c, to(c, devMsg({ msgId: 1, body: pkg1Body(), sessionId: 'C2', devId: 'IMEI:two' })));
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 5, 'a header and four messages');
    assert.match(lines[0]!, /^\{"format":"dm-agent-capture","version":1,"started":"/);
    const all = sink();
    assert.equal(await main(['decode', file], all.out), 0);
    assert.equal(all.text().match(/^=== /gm)?.length, 4, 'every message');
    const one = sink();
    assert.equal(await main(['decode', file, '--session', 'C2'], one.out), 0);
    assert.match(one.text(), /^=== s2 IMEI:two SessionID C2: device → server at /);
    assert.equal(one.text().match(/^=== /gm)?.length, 2, 'one session');
    const replay = sink();
    const code = await main(['replay', file, '--server', c.lab.dmUrl, '--session', 's1'], replay.out);
    assert.match(replay.text(), /^s1 IMEI:493005100592800 message 1: HTTP 200: SyncHdr 200, Alert 200, Replace 200 \(as captured\)\n/);
    assert.equal(code, 0, replay.text());
  } finally {
    await c.close();
  }
});

test('a lost reply queued for a device: the reply shows lost, the device’s message sent again and its cached reply both show as retransmissions', async () => {
  const c = await startConsoleLab({ devices: [{ username: 'dmuser', password: 'dmpass', auth: 'none' }] });
  try {
    const q = await fetch(`${c.origin}/api/devices/${encodeURIComponent(DEV)}/scenario`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ scenario: 'lost-reply' }),
    });
    assert.equal(q.status, 201);
    const msg = to(c, devMsg({ msgId: 1, body: pkg1Body() }));
    await assert.rejects(postDm(c, msg), 'the connection is dropped');
    assert.equal((await postDm(c, msg)).status, 200, 'the same message again gets the reply');
    const v = JSON.parse((await get(c, '/api/sessions/s1')).text) as {
      messages: { dir: string; lost?: boolean; retransmission?: boolean }[];
    };
    assert.deepEqual(
      v.messages.map((m) => [m.dir, m.lost ?? false, m.retransmission ?? false]),
      [
        ['device', false, false],
        ['server', true, false],
        ['device', false, true],
        ['server', false, true],
      ],
    );
  } finally {
    await c.close();
  }
});
