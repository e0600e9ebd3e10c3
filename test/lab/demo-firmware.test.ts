import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../lab/cli.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

test('demo --firmware: after the component update, the whole-device check updates the firmware with its restart; 200 from 1.1.0', async () => {
  const out = new Sink();
  const code = await main(['demo', '--firmware', '--quiet'], out as never, out as never);
  assert.equal(code, 0, out.text.slice(-1500));
  assert.match(out.text, /Server recorded: com\.example\.weather 2\.0 → result 1200\n/);
  assert.match(out.text, /Firmware 1\.0\.0\. The user presses "update" for the whole device\./);
  assert.match(out.text, /Firmware 1\.1\.0[\s\S]*All of them[\s\S]*\(user: pick:3\)/);
  assert.match(out.text, /RESTARTING…[\s\S]*The device restarts into the new firmware\.[\s\S]*FIRMWARE UPDATED/);
  assert.match(out.text, /Firmware now 1\.1\.0 \(confirmed\); inventory: Weather 2\.0, Sensor driver 1\.5/);
  assert.match(out.text, /firmware:TS-Agent-1 1\.1\.0 → result 200/);
});
