import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lab/cli.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

test('npm start (demo): lab server + embedded broker + device over MQTT; confirm, progress, install, new inventory', async () => {
  const out = new Sink();
  const code = await main(['demo'], out as unknown as NodeJS.WritableStream, out as unknown as NodeJS.WritableStream);
  assert.equal(code, 0, out.text.slice(-800));
  assert.match(out.text, /MQTT broker at mqtt:\/\/127\.0\.0\.1:\d+; the device talks MQTT in XML/);
  assert.match(out.text, /deployed: Weather 1\.0, Sensor driver 1\.4/);
  assert.match(out.text, /Install Weather 2\.0\?/);
  assert.match(out.text, /\(user: yes\)/);
  assert.match(out.text, /DOWNLOADING UPDATE[\s\S]*100%/);
  assert.match(out.text, /Session ended well: 2 session\(s\), 6 round trips/);
  assert.match(out.text, /Inventory now: Weather 2\.0, Sensor driver 1\.4/);
  assert.match(out.text, /Server recorded: com\.example\.weather 2\.0 → result 1200/);
  assert.doesNotMatch(out.text, /deviation/);
});

test('demo over HTTP in WBXML with a scripted "no": the session ends well and nothing is installed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  writeFileSync(join(dir, 'answers.txt'), '# the user declines\nno\n');
  const out = new Sink();
  const code = await main(
    ['demo', '--transport', 'http', '--encoding', 'wbxml', '--answers', join(dir, 'answers.txt'), '--quiet'],
    out as unknown as NodeJS.WritableStream,
    out as unknown as NodeJS.WritableStream,
  );
  assert.equal(code, 0, out.text);
  assert.match(out.text, /\(user: no\)/);
  assert.match(out.text, /1 session\(s\)/);
  assert.match(out.text, /\(http, wbxml\)/);
  assert.match(out.text, /Inventory now: Weather 1\.0/);
  assert.match(out.text, /no operation/);
});

test('demo: a bad answers file is refused before anything starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  writeFileSync(join(dir, 'answers.txt'), 'maybe\n');
  const err = new Sink();
  assert.equal(await main(['demo', '--answers', join(dir, 'answers.txt')], new Sink() as never, err as never), 1);
  assert.match(err.text, /answer 'maybe' is not one of/);
});

test('demo --trace FILE that cannot be written: refused before anything starts (exit 1), naming the file', async () => {
  const trace = join(mkdtempSync(join(tmpdir(), 'demo-')), 'no-such-dir', 'trace.xml');
  const out = new Sink();
  const err = new Sink();
  assert.equal(await main(['demo', '--trace', trace], out as never, err as never), 1);
  assert.ok(err.text.includes(`dm-agent demo: cannot write the trace to ${trace}: ENOENT`), err.text);
  assert.equal(out.text, '', 'no server, broker or device started');
});
