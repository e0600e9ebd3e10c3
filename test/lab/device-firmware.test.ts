// `dm-agent device --firmware`: a user check updates the firmware; the device restarts into it (simulated)
// and the new firmware's first session confirms it and reports 200; the state folder keeps the slots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceCommand } from '../../lab/commands/device.js';
import { startLab } from '../../lab/server/lab.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadCatalog } from '../../lab/server/catalog.js';
import { FileFirmwareSlots } from '../../platform/node/firmware-slot.js';
import { repoRoot } from '../helpers/peers.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 15000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('device --firmware: "u", the user says yes, the device restarts into 1.1.0, which reports 200; exit 0', async () => {
  const l = await startLab({
    catalog: loadCatalog(join(repoRoot, 'lab/examples/catalog-firmware.json')),
    devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]),
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'dev-fw-'));
    writeFileSync(join(dir, 'answers'), 'yes\n');
    const input = new PassThrough() as unknown as NodeJS.ReadStream;
    const out = new Sink();
    const state = join(dir, 'state');
    const device = join(repoRoot, 'lab/examples/device-current.json');
    const done = deviceCommand(
      ['--device', device, '--server', l.dmUrl, '--state', state, '--answers', join(dir, 'answers'), '--log', 'warn', '--firmware'],
      out as never,
      input,
    );
    await until(() => out.text.includes('keys: u = update'), 'the device to boot');
    (input as unknown as PassThrough).end('u');
    assert.equal(await done, 0, out.text);
    assert.match(out.text, /Firmware 1\.1\.0 is\s*│\n│ available\. Install now\?\s*│\n│ The device will restart\./);
    assert.match(out.text, /RESTARTING…[\s\S]*1\.0\.0 → 1\.1\.0/);
    assert.match(out.text, /restarting into the new firmware/);
    assert.match(out.text, /FIRMWARE UPDATED/);
    assert.deepEqual(
      l.server.outcomes().map((o) => [o.resultCode, o.source]),
      [[200, './FUMO/fw/DownloadAndUpdate']],
    );
    const slots = new FileFirmwareSlots(join(state, 'firmware'), { factory: { firmware: 'TS-Agent-1', version: '1.0.0' } });
    assert.deepEqual(slots.boot(), { slot: 'b', version: '1.1.0', trial: false }, 'the next power-on keeps 1.1.0');
  } finally {
    await l.close();
  }
});
