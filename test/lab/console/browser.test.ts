// The console in a real browser: Debian's Chromium driven by playwright-core, headless. Without Chromium the
// test skips with a NOTICE; under DM_PEERS=required it runs (test/helpers/peers.ts). Every wait is for a
// condition of the page (a row, a mark, a screen), never for a while. Screenshots of each page go to
// test/lab/console/out/ (git-ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { needPeer, repoRoot } from '../../helpers/peers.js';
import { devMsg, pkg1Body } from '../server/fixtures.js';
import { postDm, startConsoleLab } from './helpers.js';
import { loadDevice } from '../../../lab/commands/common.js';
import { buildPackage } from '../../../lab/commands/package.js';
import { startConsoleDevice } from '../../../lab/console/sim-device.js';
import { layoutScreen } from '../../../platform/moddable/lib/screen-layout.js';
import type { Screen } from '../../../agent/ports.js';
import { main } from '../../../lab/cli.js';
import { demoCommand } from '../../../lab/commands/demo.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(repoRoot, 'test/lab/console/out');

/** Chromium with a fresh profile (playwright takes --user-data-dir as launchPersistentContext's folder). */
function launch(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 760 },
    acceptDownloads: true,
    timeout: 30000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where the zone for `kind` (yes, no …) of the screen is, in the canvas's own pixels. */
function zoneCentre(screen: Screen, kind: string): { x: number; y: number } {
  const z = layoutScreen(screen, { keyboard: false, mode: 'lower' }).zones.find(
    (z) => z.action.kind === 'event' && z.action.event.kind === kind,
  );
  assert.ok(z, `the ${screen.kind} screen has a ${kind} zone`);
  return { x: z.x + z.w / 2, y: z.y + z.h / 2 };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

test('the console in Chromium: a session live with its deviation in place, an upload a device updates to, its confirm answered in the page, an export decode reads', {
  skip: needPeer('chromium'),
}, async () => {
  mkdirSync(OUT, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'console-browser-'));
  const c = await startConsoleLab({ page: true });
  // The device runs Weather 2.0 and Sensor driver 1.5, the catalog's newest: the upload below is its one update.
  const desc = loadDevice(join(repoRoot, 'lab/examples/device-current.json'));
  desc.account.serverUri = c.lab.dmUrl;
  const devId = desc.devInfo.devId;
  let dev: Awaited<ReturnType<typeof startConsoleDevice>> | undefined;
  let browser: BrowserContext | undefined;
  const problems: string[] = [];
  try {
    dev = await startConsoleDevice(c.bench, { desc, stateDir: join(tmp, 'state'), transport: 'http' });
    browser = await launch(join(tmp, 'profile'));
    const page = await browser.newPage();
    page.setDefaultTimeout(20000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });

    // The sessions page, then a session that arrives while it is open: it appears without a reload.
    await page.goto(`${c.origin}/`);
    await page.locator('#live.on').waitFor();
    await page.locator('main[data-ready="yes"]').waitFor();
    const msg = devMsg({ msgId: 2, body: pkg1Body(), sessionId: 'D1', devId: 'IMEI:deviant' });
    msg.hdr.target = { locURI: c.lab.dmUrl };
    await postDm(c, msg);
    const row = page.locator('tr[data-device="IMEI:deviant"]');
    await row.waitFor();
    await shot(page, 'sessions');

    // Its messages, with the deviation marked in the message it was found in, and the rule it breaks.
    await row.locator('a').first().click();
    const mark = page.locator('details.message[data-index="0"] .deviation');
    await mark.waitFor();
    assert.match(
      (await mark.textContent()) ?? '',
      /first message of the session has MsgID 2, not 1\s*rule: DM Protocol, SyncHdr: the first message of a session has MsgID 1/,
    );
    await shot(page, 'session');

    // A new version uploaded in the catalog page.
    const pkgFile = join(tmp, 'weather-3.0.json');
    writeFileSync(
      pkgFile,
      buildPackage({ id: 'com.example.weather', name: 'Weather', version: '3.0', entry: 'mod', payload: 'Weather 3.0' }),
    );
    await page.goto(`${c.origin}/#/catalog`);
    await page.locator('#catalog').waitFor();
    await page.locator('#package-file').setInputFiles(pkgFile);
    await page.locator('#upload').click();
    await page.locator('#catalog tr', { hasText: 'com.example.weather-3.0.json (uploaded)' }).waitFor();
    await shot(page, 'catalog');

    // The simulated device's page: its button pressed, its confirm answered on its screen, the update installed.
    await page.goto(`${c.origin}/#/devices/${encodeURIComponent(devId)}`);
    const canvas = page.locator(`canvas[data-dev="${devId}"]`);
    await canvas.and(page.locator('[data-kind="idle"]')).waitFor();
    await page.locator(`button[data-press="${devId}"]`).click();
    await canvas.and(page.locator('[data-kind="confirm"]')).waitFor();
    const confirm = c.bench.sims.get(devId)!.display.screen!;
    assert.equal(confirm.kind, 'confirm');
    assert.match(confirm.lines.join(' '), /Install Weather 3\.0\?/);
    await shot(page, 'device-confirm');
    await canvas.click({ position: zoneCentre(confirm, 'yes') });
    await page
      .locator('#inventory tr', { hasText: 'com.example.weather' })
      .and(page.locator('tr', { hasText: '3.0' }))
      .waitFor();
    await page.locator('#results tr', { hasText: '1200' }).waitFor();
    await canvas.and(page.locator('[data-kind="idle"]')).waitFor();
    await shot(page, 'device');
    // The one in the README (docs/console.png is a copy of it): the top of the device's page.
    await page.mouse.wheel(0, -100000);
    await page.screenshot({ path: join(OUT, 'readme.png'), clip: { x: 0, y: 0, width: 1100, height: 520 } });

    // The update session exported as raw messages, and read back by dm-agent decode.
    await page.goto(`${c.origin}/#/sessions?device=${encodeURIComponent(devId)}`);
    const first = page.locator(`tr[data-device="${devId}"]`).last();
    await first.waitFor();
    await first.locator('a').first().click();
    await page.locator('#ui-alerts').waitFor();
    assert.match(
      (await page.locator('#ui-alerts tr', { hasText: '1101 confirm' }).textContent()) ?? '',
      /Install Weather 3\.0\?200$/,
      'the confirm and the answer given',
    );
    await page.locator('details.message[data-index="2"] > summary').click();
    await shot(page, 'update-session');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-capture').click()]);
    const saved = join(OUT, 'exported.capture.jsonl');
    await download.saveAs(saved);
    let text = '';
    const out = new Writable({
      write(chunk, _e, cb) {
        text += String(chunk);
        cb();
      },
    });
    assert.equal(await main(['decode', saved], out), 0, 'decode reads the export');
    assert.match(text, /device → server[^\n]*\n<SyncML[\s\S]*UpdateUserRequest/);

    await page.goto(`${c.origin}/#/simulated`);
    await page.locator(`canvas[data-dev="${devId}"][data-kind="idle"]`).waitFor();
    await shot(page, 'simulated');
    await page.goto(`${c.origin}/#/devices`);
    await page.locator('#devices').waitFor();
    await shot(page, 'devices');
    assert.deepEqual(problems, [], 'no console error, no failed request');
  } finally {
    await browser?.close();
    await dev?.close();
    await c.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('demo --console --firmware in Chromium: the firmware confirm answered in the page, the device restarts, its FUMO result 200 on its page; a refused message listed', {
  skip: needPeer('chromium'),
}, async () => {
  mkdirSync(OUT, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'console-browser-fw-'));
  let text = '';
  const out = new Writable({
    write(chunk, _e, cb) {
      text += String(chunk);
      cb();
    },
  });
  let stop!: () => void;
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  // The device runs the catalog's newest components: its one update is the firmware.
  const device = join(repoRoot, 'lab/examples/device-current.json');
  const devId = loadDevice(device).devInfo.devId;
  const demo = demoCommand(['--console', '--firmware', '--http', '0', '--transport', 'http', '--quiet', '--device', device], out, stopped);
  let browser: BrowserContext | undefined;
  const problems: string[] = [];
  try {
    let origin: string | undefined;
    for (let i = 0; i < 3000 && origin === undefined; i++) {
      origin = /Lab console at (http:\/\/127\.0\.0\.1:\d+)\//.exec(text)?.[1];
      if (origin === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(origin, `demo printed the console's address: ${text}`);
    browser = await launch(join(tmp, 'profile'));
    const page = await browser.newPage();
    page.setDefaultTimeout(30000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });

    // The catalog offers the firmware for the device's model.
    await page.goto(`${origin}/#/catalog`);
    await page.locator('#catalog tr', { hasText: 'firmware for TS-Agent-1' }).waitFor();

    // The device's page: a press, the firmware confirm answered on its screen, the restart, the result.
    await page.goto(`${origin}/#/devices/${encodeURIComponent(devId)}`);
    const canvas = page.locator(`canvas[data-dev="${devId}"]`);
    await canvas.and(page.locator('[data-kind="idle"]')).waitFor();
    await page.locator(`button[data-press="${devId}"]`).click();
    await canvas.and(page.locator('[data-kind="confirm"]')).waitFor();
    const sim = (await (await fetch(`${origin}/api/sim/${encodeURIComponent(devId)}`)).json()) as { screen: Screen };
    assert.match(sim.screen.lines.join(' '), /Firmware 1\.1\.0 is available\. Install now\? The device will restart\./);
    await page.locator('#firmware', { hasText: '1.0.0' }).waitFor();
    await canvas.click({ position: zoneCentre(sim.screen, 'yes') });
    const result = page.locator('#results tr', { hasText: 'firmware:TS-Agent-1 1.1.0' });
    await result.waitFor();
    assert.match((await result.textContent()) ?? '', /200lab-[0-9a-f]+firmware:TS-Agent-1 1\.1\.0$/, 'code 200, the correlator, what');
    await page.locator('#firmware', { hasText: '200 (success) for 1.1.0' }).waitFor();
    await shot(page, 'device-firmware');

    // A message the server refuses before it matches a session: listed, with the reason.
    const r = await fetch(`${origin}/dm`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    assert.equal(r.status, 415);
    await page.goto(`${origin}/#/sessions?status=refused`);
    const refused = page.locator('tr[data-status="refused"]', { hasText: "refused: Content-Type 'text/plain'" });
    await refused.waitFor();
    await refused.locator('a').first().click();
    await page.locator('#refused-reason').waitFor();
    await shot(page, 'refused');
    // The firmware retired in the catalog page.
    await page.goto(`${origin}/#/catalog`);
    await page.locator('button[data-retire="firmware:TS-Agent-1 1.1.0"]').click();
    await page.locator('#catalog tr', { hasText: 'firmware for TS-Agent-1' }).waitFor({ state: 'detached' });
    await shot(page, 'catalog-firmware');
    // The 415 above was asked for; every other request went well.
    assert.deepEqual(
      problems.filter((p) => !p.includes('/dm')),
      [],
      'no console error, no failed request',
    );
  } finally {
    await browser?.close();
    stop();
    assert.equal(await demo, 0, text);
    rmSync(tmp, { recursive: true, force: true });
  }
});
