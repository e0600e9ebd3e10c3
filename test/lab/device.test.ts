// `dm-agent device`: the button from keys, the screen in the terminal, MQTT notifications.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceCommand } from '../../lab/commands/device.js';
import { startLab } from '../../lab/server/lab.js';
import { parseDevices } from '../../lab/server/auth.js';
import { exampleCatalog } from './server/fixtures.js';
import { repoRoot } from '../helpers/peers.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}
const device = join(repoRoot, 'lab/examples/device.json');

async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 15000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('device: "u" presses the button, the user picks on the screen, the update installs; the input ends and the device exits 0', async () => {
  const l = await startLab({ catalog: exampleCatalog(), devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]) });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'dev-'));
    writeFileSync(join(dir, 'answers'), 'pick:2\n');
    const input = new PassThrough() as unknown as NodeJS.ReadStream;
    const out = new Sink();
    const done = deviceCommand(
      ['--device', device, '--server', l.dmUrl, '--state', join(dir, 'state'), '--answers', join(dir, 'answers'), '--log', 'warn'],
      out as never,
      input,
    );
    await until(() => out.text.includes('keys: u = update'), 'the device to boot');
    (input as unknown as PassThrough).end('u');
    assert.equal(await done, 0, out.text);
    assert.match(out.text, /CHOOSE ONE[\s\S]*Sensor driver 1\.5[\s\S]*Weather 2\.0/);
    assert.match(out.text, /session ended well: \d+ round trips; deployed: Weather 2\.0, Sensor driver 1\.4/);
    assert.deepEqual(
      l.server.outcomes().map((o) => o.resultCode),
      [1200],
    );
  } finally {
    await l.close();
  }
});

test('device over MQTT: a server notification starts a device check; the autoUpdate component installs without asking', async () => {
  const l = await startLab({
    catalog: exampleCatalog(),
    mqtt: 'embedded',
    devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]),
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'dev-'));
    const input = new PassThrough() as unknown as NodeJS.ReadStream;
    const out = new Sink();
    const done = deviceCommand(
      [
        '--device',
        device,
        '--server',
        l.dmUrl,
        '--transport',
        'mqtt',
        '--broker',
        l.brokerUrl!,
        '--state',
        join(dir, 'state'),
        '--log',
        'warn',
      ],
      out as never,
      input,
    );
    await until(() => out.text.includes('keys: u = update'), 'the device to boot');
    await l.mqtt!.notify('IMEI:493005100592800', 'check');
    await until(() => out.text.includes('session ended well'), 'the session');
    (input as unknown as PassThrough).end();
    assert.equal(await done, 0, out.text);
    assert.match(out.text, /server notification: checking for updates/);
    assert.match(out.text, /deployed: Weather 1\.0, Sensor driver 1\.5/);
  } finally {
    await l.close();
  }
});

test('device --trace FILE that cannot be written: refused before the device starts, naming the file; no state made', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dev-'));
  const trace = join(dir, 'no-such-dir', 'trace.xml');
  const out = new Sink();
  const input = new PassThrough();
  input.end();
  await assert.rejects(
    deviceCommand(
      ['--device', device, '--server', 'http://127.0.0.1:9/dm', '--state', join(dir, 'state'), '--trace', trace],
      out as never,
      input as unknown as NodeJS.ReadStream,
    ),
    (e: Error) => e.message.startsWith(`cannot write the trace to ${trace}: ENOENT`),
  );
  assert.doesNotMatch(out.text, /device .* up/, 'the device did not start');
  assert.equal(existsSync(join(dir, 'state')), false, 'no state folder made');
});
