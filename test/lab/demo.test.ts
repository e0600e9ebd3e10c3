import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lab/cli.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) { this.text += typeof s === 'string' ? s : Buffer.from(s).toString(); return true; }
}

test('npm start (demo): MD5 challenge, update request for app1, confirm on the screen, session ends well', async () => {
  const out = new Sink();
  const code = await main(['demo'], out as unknown as NodeJS.WritableStream, out as unknown as NodeJS.WritableStream);
  assert.equal(code, 0, out.text.slice(-500));
  assert.match(out.text, /<Type xmlns="syncml:metinf">urn:oma:at:scomo:1\.1:UpdateUserRequest<\/Type>/);
  assert.match(out.text, /<LocURI>\.\/SCOMO\/Inventory\/Deployed\/app1<\/LocURI>/);
  assert.match(out.text, /Install Weather 2\.0 now\?/);
  assert.match(out.text, /\(user: yes\)/);
  assert.match(out.text, /challenge dmuser: bad credential; update request .* user answered 200/);
  assert.match(out.text, /Session ended well: 5 round trips/);
});

test('demo with WBXML and a scripted "no" ends well and the server hears 304', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  writeFileSync(join(dir, 'answers.txt'), '# the user declines\nno\n');
  const out = new Sink();
  const code = await main(['demo', '--encoding', 'wbxml', '--answers', join(dir, 'answers.txt'), '--quiet'],
    out as unknown as NodeJS.WritableStream, out as unknown as NodeJS.WritableStream);
  assert.equal(code, 0, out.text);
  assert.match(out.text, /user answered 304/);
  assert.match(out.text, /Update postponed/);
  assert.match(out.text, /\(wbxml\)/);
});
