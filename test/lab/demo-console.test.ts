// demo --console --strict: the lab server demo starts is in strict mode, as serve --strict's is; without
// --strict it takes what strict mode refuses (a SyncML DS media type), with a deviation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoCommand } from '../../lab/commands/demo.js';
import { encodeXml } from '../../agent/syncml/xml-encode.js';
import { devMsg, pkg1Body } from './server/fixtures.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

/** Runs demo --console with `extra`, POSTs a DM message as SyncML DS's media type, and ends the demo; the HTTP status. */
async function dsMediaType(extra: string[]): Promise<{ status: number; code: number; out: string }> {
  const out = new Sink();
  let stop!: () => void;
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  const done = demoCommand(['--console', '--http', '0', '--transport', 'http', '--quiet', ...extra], out as never, stopped);
  try {
    let url: string | undefined;
    for (let i = 0; i < 2000 && url === undefined; i++) {
      url = /\(DM server (http:\/\/127\.0\.0\.1:\d+\/dm),/.exec(out.text)?.[1];
      if (url === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(url, `demo printed its DM server: ${out.text}`);
    const msg = devMsg({ msgId: 1, body: pkg1Body(), devId: 'IMEI:ds' });
    msg.hdr.target = { locURI: url };
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/vnd.syncml+xml' }, body: encodeXml(msg) });
    await r.text();
    stop();
    return { status: r.status, code: await done, out: out.text };
  } finally {
    stop();
    await done.catch(() => 0);
  }
}

test('demo --console --strict: the lab server refuses the SyncML DS media type (415); without --strict it takes it', async () => {
  const strict = await dsMediaType(['--strict']);
  assert.equal(strict.status, 415, 'strict mode refuses it');
  assert.equal(strict.code, 0, strict.out);
  const liberal = await dsMediaType([]);
  assert.notEqual(liberal.status, 415, 'taken with a deviation');
  assert.equal(liberal.code, 0, liberal.out);
});
