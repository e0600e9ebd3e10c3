// The simulator's device app (platform/moddable/main-sim.ts → startDevice of app.ts) with the agent, on the XS
// engine, loaded as preloaded modules where the device-sized worker exists, with in-memory stand-ins for the
// SDK's modules and Piu (test/xs/device-app/sdk) and the lab DM server behind its HTTP requests. The test
// reads the screen as the app drew it and touches it as a finger would; time is virtual. One firmware case runs
// the ESP32's entry (main.ts) instead, with stand-ins of its ESP32 modules (ota, flash, our native module).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeMessage } from '../../agent/syncml/codec.js';
import type { AlertCmd } from '../../agent/syncml/model.js';
import { DeviceWorld, deviceConfig, FILE_ROOT, FIRST_WALL_MS, type DeviceRun } from './device-app/host.js';

const MODEL = 'TS-Agent-1';

/** The body lines of the screen: the texts between the title bar and the footer. */
function body(run: DeviceRun): string[] {
  return run
    .texts()
    .filter((t) => t.y >= 32 && t.y < 272 && t.font === '16px Open Sans' && t.text !== 'Hold to pick one app')
    .map((t) => t.text);
}

/** The idle screen: the title bar, then the deployed components, and the update key. */
function isIdle(run: DeviceRun): boolean {
  return run.title() === MODEL && run.texts().some((t) => t.text === 'Check for updates');
}

function assertHealthy(world: DeviceWorld, run: DeviceRun): void {
  assert.deepEqual(run.uncaught, [], 'no exception escaped a callback (each would stop the device)');
  assert.deepEqual(world.problems, [], "the device's HTTP requests were well formed");
}

async function withWorld(f: (world: DeviceWorld) => Promise<void>): Promise<void> {
  const world = new DeviceWorld();
  try {
    await f(world);
  } finally {
    await world.close();
  }
}

test('boot: the idle screen shows the model, the deployed component and the update key', () =>
  withWorld(async (world) => {
    const run = await world.boot();
    await run.settle();
    assert.equal(run.title(), MODEL);
    assert.deepEqual(body(run), ['Ready.', 'Weather 1.0']);
    const key = run.texts().find((t) => t.text === 'Check for updates');
    assert.ok(key, 'the update key is drawn');
    // The key is drawn on its button, in the primary colours (lib/screen-layout.ts).
    assert.ok(
      run.frame.ops.some((o) => o.op === 'fill' && o.color === '#1F4E79' && o.y <= key.y && o.y + o.h >= key.y + key.h),
      "the key's button is filled",
    );
    assert.equal(key.color, '#FFFFFF');
    // Every drawn line is clipped to its box (display.ts), so a long one cannot spill over the next, and is
    // drawn inside it: ending where the box ends, starting on its left edge or, centred, further in.
    for (const t of run.texts()) {
      const c = t.clip!;
      assert.ok(c && t.x >= c.x && t.y >= c.y && t.x + t.w === c.x + c.w && t.y + t.h === c.y + c.h, `'${t.text}' inside its clip`);
    }
    // Piu's drawString draws at (x, y) whatever the style's alignment: the app centres the key's label itself.
    const clip = key.clip!;
    const measured = Math.ceil(key.text.length * 16 * 0.55); // the stand-in's measureString for 16 px text
    assert.equal(key.x - clip.x, (clip.w - measured) >> 1, "the key's label is centred on its button");
    // First boot: the tree and the installed-components record are in the flash file system; no session ran.
    assert.ok(world.fs.files.has(`${FILE_ROOT}dm/tree`), 'the committed tree is a file');
    assert.deepEqual(JSON.parse(world.fs.text(`${FILE_ROOT}dm-comp/installed`)!), [
      { id: 'com.example.weather', name: 'Weather', version: '1.0', active: true, mod: false },
    ]);
    assert.deepEqual(world.http, []);
    assert.match(run.log.join(''), /INFO device IMEI:493005100592800 up/);
    assertHealthy(world, run);
    await run.powerOff();
  }));

test("update: the key, the lab server's confirm answered Yes on the screen, download, install, result 1200, the new version on the idle screen", () =>
  withWorld(async (world) => {
    const run = await world.boot();
    await run.settle();
    await run.press('Check for updates');
    await run.runUntil('the confirm screen', (r) => r.title() === 'Please confirm');
    assert.deepEqual(body(run), ['Install Weather 2.0?']);
    assert.ok(
      run.screens.some((s) => s.includes('Checking for updates')),
      `the server's "checking" message was shown: ${run.screens.join('\n')}`,
    );
    await run.press('Yes');
    await run.runUntil('the idle screen after the update', (r) => isIdle(r) && !body(r).includes('Ready.'));
    assert.deepEqual(body(run), ['Up to date.', 'Weather 2.0']);
    assert.ok(
      run.screens.some((s) => s.startsWith('Downloading update')),
      `the download's progress was shown: ${run.screens.join('\n')}`,
    );

    assert.deepEqual(
      world.lab.outcomes().map((o) => [o.identifier, o.resultCode]),
      [['com.example.weather', 1200]],
    );
    assert.deepEqual(
      world.lab.deployments().map((d) => [d.componentId, d.version, d.state]),
      [['com.example.weather', '2.0', 'completed']],
    );
    assert.deepEqual(
      world.lab.uiAnswers().map((a) => [a.alert, a.text, a.status]),
      [
        ['1100', 'Checking for updates…', 200],
        ['1101', 'Install Weather 2.0?', 200],
      ],
    );
    assert.deepEqual(world.lab.deviations(), []);
    const gets = world.http.filter((h) => h.method === 'GET');
    assert.deepEqual(gets, [{ method: 'GET', url: 'http://127.0.0.1:8080/packages/app1-2.0.json', status: 200 }]);
    assert.ok(
      world.http.every((h) => h.status === 200),
      'every request was answered 200',
    );
    // Installed: the record says so, the package file is gone once reported.
    assert.deepEqual(
      JSON.parse(world.fs.text(`${FILE_ROOT}dm-comp/installed`)!).map((c: { version: string }) => c.version),
      ['2.0'],
    );
    assert.deepEqual(
      [...world.fs.files.keys()].filter((f) => f.includes('dm-pkg/')),
      [],
    );
    assert.match(run.log.join(''), /INFO installed com\.example\.weather 2\.0/);
    assertHealthy(world, run);
    await run.powerOff();
  }));

for (const refusal of ['error', 'write-throws'] as const) {
  const how =
    refusal === 'error'
      ? 'the socket reports an error, as lwIP does'
      : "the socket says connected and its write throws, as the Linux simulator's does";
  test(`a failed check (the lab server unreachable; ${how}) is drawn as "Check failed" with the reason`, () =>
    withWorld(async (world) => {
      world.reachable = false;
      world.refusal = refusal;
      const run = await world.boot();
      await run.settle();
      const pressedAt = run.ticks;
      await run.press('Check for updates');
      await run.runUntil('the failure on the idle screen', (r) => isIdle(r) && body(r).some((l) => l.startsWith('Check failed')));
      const text = body(run).join(' ');
      const reason = refusal === 'error' ? 'connection failed' : 'write failed';
      assert.match(
        text,
        new RegExp(`^Check failed: no reply from http://127\\.0\\.0\\.1:8080/ ?dm: 127\\.0\\.0\\.1: ${reason} Weather 1\\.0$`),
      );
      // The first attempt and two retries (manifests/shared.json: retries 2), 500 ms then 1000 ms apart.
      assert.deepEqual(
        world.http.map((h) => h.error),
        ['connection refused', 'connection refused', 'connection refused'],
      );
      assert.ok(run.ticks - pressedAt >= 1500 && run.ticks - pressedAt < 5000, `failed after ${run.ticks - pressedAt} ms of virtual time`);
      // The request waits in the persisted queue for the next session.
      assert.match(world.fs.text(`${FILE_ROOT}dm/alerts`) ?? '', /UpdateUserRequest/);
      assertHealthy(world, run);

      // The server back: the next press sends the queued request, and the server asks.
      world.reachable = true;
      await run.press('Check for updates');
      await run.runUntil('the confirm screen', (r) => r.title() === 'Please confirm');
      assertHealthy(world, run);
      await run.powerOff();
    }));
}

test('a long press on the key lets the user pick the component on the screen; the request names it', () =>
  withWorld(async (world) => {
    const run = await world.boot();
    await run.settle();
    const key = run.texts().find((t) => t.text === 'Check for updates')!;
    // Held past longPressMs (2 s): the choice comes up while the finger is still down.
    await run.touch(key.x + key.w / 2, key.y + key.h / 2, 2500);
    await run.runUntil('the choice of a component', (r) => r.title() === 'Choose one');
    assert.deepEqual(body(run), ['Check for updates of', '(o) Weather 1.0']);
    await run.press('OK');
    await run.runUntil('the confirm screen', (r) => r.title() === 'Please confirm');
    const first = decodeMessage(world.http.find((h) => h.method === 'POST')!.body!);
    const alert = first.body.find((c): c is AlertCmd => c.kind === 'Alert' && c.data === '1226');
    assert.equal(alert?.items[0]?.source?.locURI, './SCOMO/Inventory/Deployed/app1');
    assert.equal(alert?.items[0]?.meta?.type, 'urn:oma:at:scomo:1.1:UpdateUserRequest');
    // "No": nothing is installed, and the idle screen says what is still there.
    await run.press('No');
    await run.runUntil('the idle screen', (r) => isIdle(r) && !body(r).includes('Ready.'));
    assert.deepEqual(body(run), ['Up to date.', 'Weather 1.0']);
    assert.deepEqual(
      world.lab.uiAnswers().map((a) => [a.alert, a.text, a.status]),
      [
        ['1100', 'Checking for updates…', 200],
        ['1101', 'Install Weather 2.0?', 304],
        ['1100', 'Update postponed.', 200],
      ],
    );
    assert.deepEqual(world.lab.deployments(), []);
    assertHealthy(world, run);
    await run.powerOff();
  }));

test('settings: the random seed and the clock floor written in Preference are read back after a reboot', () =>
  withWorld(async (world) => {
    const seedOf = (w: DeviceWorld) => {
      const v = w.pref('dm', 'rngseed');
      assert.equal(v?.type, 'string', 'the seed is a string preference (NVS)');
      assert.equal(Buffer.from(v.value as string, 'base64').length, 32);
      return v.value as string;
    };
    const first = await world.boot();
    await first.settle();
    const s1 = seedOf(world);
    assert.deepEqual(world.pref('dm', 'wallFloor'), { type: 'string', value: String(FIRST_WALL_MS) });
    const due = JSON.parse(world.fs.text(`${FILE_ROOT}dm/schedule`)!) as { due: number };
    assert.ok(due.due > FIRST_WALL_MS, 'the schedule is due after the first boot');
    await first.powerOff();

    // The same boot on a fresh device draws the same seed: the stand-ins are deterministic (the simulator's
    // c_rand() is never seeded), so what makes a second boot differ is only what the device kept.
    await withWorld(async (fresh) => {
      const run = await fresh.boot();
      await run.settle();
      assert.equal(seedOf(fresh), s1);
      await run.powerOff();
    });
    world.wallMs = FIRST_WALL_MS;
    const second = await world.boot();
    await second.settle();
    const s2 = seedOf(world);
    assert.notEqual(s2, s1, 'the seed saved at the first boot was read and mixed in');
    assertHealthy(world, second);
    await second.powerOff();

    // A reboot without a set clock (no RTC, no SNTP yet): Date.now() reads 1970. The floor read from Preference
    // keeps the device's wall clock where it was, so the schedule's due time stands.
    world.wallMs = 0;
    const third = await world.boot();
    await third.settle();
    assert.ok(Number(world.pref('dm', 'wallFloor')?.value) >= FIRST_WALL_MS, 'the floor never goes back');
    assert.equal((JSON.parse(world.fs.text(`${FILE_ROOT}dm/schedule`)!) as { due: number }).due, due.due);
    assert.equal(body(third)[1], 'Weather 1.0');
    assertHealthy(world, third);
    await third.powerOff();

    // Without the floor the same reboot loses the clock: the schedule sees time go back by decades and
    // starts over from 1970.
    world.prefs.get('dm')!.delete('wallFloor');
    const fourth = await world.boot();
    await fourth.settle();
    assert.ok(
      (JSON.parse(world.fs.text(`${FILE_ROOT}dm/schedule`)!) as { due: number }).due < FIRST_WALL_MS,
      'the schedule restarted in 1970',
    );
    await fourth.powerOff();
  }));

test('the update survives a reboot: the committed tree, not the manifest, says what is deployed', () =>
  withWorld(async (world) => {
    const run = await world.boot();
    await run.settle();
    await run.press('Check for updates');
    await run.runUntil('the confirm screen', (r) => r.title() === 'Please confirm');
    await run.press('Yes');
    await run.runUntil('the idle screen after the update', (r) => isIdle(r) && body(r).includes('Weather 2.0'));
    await run.powerOff();
    const again = await world.boot();
    await again.settle();
    assert.deepEqual(body(again), ['Ready.', 'Weather 2.0']);
    assertHealthy(world, again);
    await again.powerOff();
  }));

test('a device description the agent refuses is drawn as "Configuration error" with the field', () =>
  withWorld(async (world) => {
    const config = deviceConfig() as { dm: { device: { account: { auth: { type: string } } } } };
    config.dm.device.account.auth.type = 'rot13';
    const run = await world.boot(config as unknown as Record<string, unknown>);
    await run.settle();
    assert.equal(run.title(), 'Configuration error');
    assert.match(body(run).join(' '), /account\.auth\.type must be one of none\|basic\|md5\|hmac/);
    assert.equal(
      run.texts().some((t) => t.text === 'Check for updates'),
      false,
      'no update key: nothing can start',
    );
    assert.match(run.log.join(''), /^config error: /);
    // Nothing was started: no file, no preference, no timer, no request.
    assert.deepEqual([...world.fs.files.keys()], []);
    assert.deepEqual([...world.prefs.keys()], []);
    assert.equal(run.next, null);
    assert.deepEqual(world.http, []);
    assertHealthy(world, run);
    await run.powerOff();
  }));

const FIRMWARE_DIR = new URL('./device-app/firmware/', import.meta.url).pathname;
const FIRMWARE_ID = 'firmware:TS-Agent-1';

async function withFirmwareWorld(catalog: string, f: (world: DeviceWorld) => Promise<void>): Promise<void> {
  const world = new DeviceWorld({ catalog: `${FIRMWARE_DIR}${catalog}` });
  try {
    await f(world);
  } finally {
    await world.close();
  }
}

/** The user's check up to the restart: the confirm answered Yes, the image downloaded into the other slot, "Restarting…". */
async function firmwareUpdateUntilRestart(world: DeviceWorld, version: string): Promise<DeviceRun> {
  const run = await world.boot();
  await run.settle();
  assert.match(run.log.join(''), /INFO firmware 1\.0\.0 on ota_0\n/);
  await run.press('Check for updates');
  await run.runUntil('the confirm screen', (r) => r.title() === 'Please confirm');
  assert.deepEqual(body(run).join(' '), `Firmware ${version} is available. Install now? The device will restart.`);
  await run.press('Yes');
  await run.runUntil('the restart', (r) => r.title() === 'Restarting…');
  assert.deepEqual(body(run), [`Firmware 1.0.0 → ${version}`]);
  assert.ok(
    run.screens.some((s) => s.startsWith('Downloading firmware')),
    `the download's progress was shown: ${run.screens.join('\n')}`,
  );
  assert.match(run.log.join(''), /firmware restart: start the simulator again/);
  // The image is in the slot that does not run, byte for byte as the lab serves it.
  const image = readFileSync(`${FIRMWARE_DIR}ts-agent-1-${version}.json`);
  assert.deepEqual(world.fs.files.get(`${FILE_ROOT}dm-fw/ota_1.bin`), new Uint8Array(image));
  assert.deepEqual(JSON.parse(world.fs.text(`${FILE_ROOT}dm-fw/otadata/otadata`)!), { ota_1: { order: 1, state: 'new' } });
  assertHealthy(world, run);
  await run.powerOff();
  return run;
}

test('firmware: the user check finds firmware 1.1.0, the restart runs it as a trial, its first session confirms it and reports 200', () =>
  withFirmwareWorld('catalog.json', async (world) => {
    await firmwareUpdateUntilRestart(world, '1.1.0');
    const next = await world.boot();
    await next.runUntil('the idle screen after the report', (r) => isIdle(r) && !body(r).includes('Ready.'));
    assert.match(next.log.join(''), /INFO firmware 1\.1\.0 on ota_1 \(trial\)/);
    assert.ok(
      next.screens.some((s) => s.startsWith('Firmware updated | 1.0.0 → 1.1.0')),
      `the result was shown: ${next.screens.join('\n')}`,
    );
    // Reported from the new firmware: the lab recorded 200 against its deployment, and reads 1.1.0 from the tree.
    assert.deepEqual(
      world.lab.outcomes().map((o) => [o.deployment?.componentId, o.resultCode]),
      [[FIRMWARE_ID, 200]],
    );
    assert.deepEqual(
      world.lab.deployments().map((d) => [d.componentId, d.version, d.state]),
      [[FIRMWARE_ID, '1.1.0', 'completed']],
    );
    assert.deepEqual(JSON.parse(world.fs.text(`${FILE_ROOT}dm-fw/otadata/otadata`)!), { ota_1: { order: 1, state: 'valid' } });
    assert.deepEqual(world.lab.deviations(), []);
    assertHealthy(world, next);
    await next.powerOff();
    // Confirmed: it stays.
    const third = await world.boot();
    await third.settle();
    assert.match(third.log.join(''), /INFO firmware 1\.1\.0 on ota_1\n/);
    // The FUMO journal, ended, is an empty value: the device must read it back and come up.
    assert.doesNotMatch(third.log.join(''), /boot failed/);
    assert.match(third.log.join(''), /INFO device \S+ up/);
    assert.ok(isIdle(third), `the idle screen: ${third.screenText()}`);
    assertHealthy(world, third);
    await third.powerOff();
  }));

test('firmware: a new firmware that fails its health check returns to the previous slot, which reports the failure', () =>
  withFirmwareWorld('catalog-unhealthy.json', async (world) => {
    await firmwareUpdateUntilRestart(world, '1.2.0');
    // The trial start: its health check fails at boot, it reverts and restarts at once.
    const trial = await world.boot();
    await trial.runUntil('the second restart', (r) => /firmware restart/.test(r.log.join('')));
    assert.match(trial.log.join(''), /firmware 1\.2\.0 failed its health check/);
    // Nothing runs after the restart: no session from the firmware that is leaving.
    await trial.advance(60000);
    assert.doesNotMatch(trial.log.join(''), /session/);
    await trial.powerOff();
    const back = await world.boot();
    await back.runUntil('the idle screen after the report', (r) => isIdle(r) && !body(r).includes('Ready.'));
    assert.match(back.log.join(''), /INFO firmware 1\.0\.0 on ota_0\n/);
    assert.ok(
      back.screens.some((s) => s.startsWith('Firmware not updated | 1.2.0 failed; 1.0.0 | runs')),
      `the result was shown: ${back.screens.join('\n')}`,
    );
    const outcomes = world.lab.outcomes();
    assert.equal(outcomes.length, 1, 'one result');
    assert.equal(outcomes[0]!.deployment?.componentId, FIRMWARE_ID);
    assert.ok(outcomes[0]!.resultCode >= 400 && outcomes[0]!.ok === false, `a failure code: ${outcomes[0]!.resultCode}`);
    assert.deepEqual(JSON.parse(world.fs.text(`${FILE_ROOT}dm-fw/otadata/otadata`)!), { ota_1: { order: 1, state: 'aborted' } });
    assert.equal(world.fs.files.has(`${FILE_ROOT}dm-fw/ota_1.bin`), false, 'the failed image was discarded');
    assert.deepEqual(world.lab.deviations(), []);
    assertHealthy(world, back);
    await back.powerOff();
  }));

test("firmware on the ESP32 entry (main.ts): the SDK's ota and flash modules and our native module (stand-ins), 1.0.0 → 1.1.0, the new build confirms it", () =>
  withFirmwareWorld('catalog.json', async (world) => {
    const run = await world.boot(deviceConfig(), 'device');
    await run.settle();
    assert.ok(isIdle(run), `the idle screen: ${run.screenText()}`);
    await run.press('Check for updates');
    await run.runUntil('the confirm screen', (r) => r.title() === 'Please confirm');
    await run.press('Yes');
    await run.runUntil('the restart', (r) => r.title() === 'Restarting…');
    assert.match(run.log.join(''), /esp_restart\(\)/);
    // Written through the SDK's OTA writer into ota_1 (nextota), switched with esp_ota_set_boot_partition: NEW.
    const image = readFileSync(`${FIRMWARE_DIR}ts-agent-1-1.1.0.json`);
    assert.deepEqual(world.fs.files.get('/flash/ota_1'), new Uint8Array(image));
    assert.deepEqual(JSON.parse(world.fs.text('/flash/otadata')!), { ota_1: { order: 1, state: 'new' } });
    // The whole image was recorded for ota_1 (written() survives a restart before the switch).
    assert.deepEqual(JSON.parse(world.fs.text(`${FILE_ROOT}dm-fw/image`)!), { slot: 'ota_1', size: image.length });
    assertHealthy(world, run);
    await run.powerOff();
    // The new firmware is another build: its config says 1.1.0 (the device's version is its build's fwV).
    const config = deviceConfig() as { dm: { device: { devDetail: { fwV: string } } } };
    config.dm.device.devDetail.fwV = '1.1.0';
    const next = await world.boot(config as unknown as Record<string, unknown>, 'device');
    await next.runUntil('the idle screen after the report', (r) => isIdle(r) && !body(r).includes('Ready.'));
    assert.deepEqual(
      world.lab.outcomes().map((o) => [o.deployment?.componentId, o.resultCode]),
      [[FIRMWARE_ID, 200]],
    );
    assert.deepEqual(JSON.parse(world.fs.text('/flash/otadata')!), { ota_1: { order: 1, state: 'valid' } });
    assert.deepEqual(world.lab.deviations(), []);
    assertHealthy(world, next);
    await next.powerOff();
  }));
