// The device agent on the Moddable SDK's simulator (mcsim), driven through its screen: `npm run test:sim`
// (scripts/test-sim.mjs). Each case builds manifests/simulator with its own device config (account on the
// lab server at 127.0.0.1, auth, transport, encoding), starts from an empty file system, clicks the screen
// with xdotool, and asserts on what the lab server recorded (results, UI answers, deployments, deviations).
// The heaps' peaks come from the SDK's instruments; the table of runs goes to test/sim/out/table.md.
// Without $MODDABLE the suite prints a NOTICE and skips. Not part of `npm test` (the files end in .sim.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BASE_DEVICE,
  Builder,
  CREATION,
  OUT_DIR,
  ScreenDriver,
  XsbugListener,
  cleanDir,
  findSdk,
  freePort,
  layout,
  peaks,
  sleep,
  slotBytes,
  startLabServer,
  type Sample,
  startMcsim,
  startXvfb,
  stopProcess,
  waitFor,
  workFolder,
  zoneOf,
  type Built,
  type DeviceJson,
  type LabRun,
  type RunningSim,
  type ScreenKind,
  type Sdk,
  type Shot,
  type XDisplay,
} from './harness.js';
import type { AuthType } from '../../lab/server/auth.js';
import { paginate, wrap } from '../../agent/ui/layout.js';
import { CAPABILITIES } from '../../platform/moddable/lib/screen-layout.js';

type Transport = 'http' | 'mqtt';
type Encoding = 'xml' | 'wbxml';

interface Row {
  name: string;
  auth: AuthType;
  transport: Transport;
  encoding: Encoding;
  result: string;
  chunk: number;
  slots: number;
  stack: number;
}

const found = findSdk();
const rows: Row[] = [];
const screenshots: string[] = [];
/** What the 20-check case read of the heaps, for the table. */
let heapNote = '';

const FIRMWARE_FIXTURES = new URL('./fixtures/firmware/', import.meta.url).pathname;
const SECOND_COMPONENT = { node: 'app2', id: 'com.example.sensor', name: 'Sensor driver', version: '1.4' };
/** The lab's default UI texts (lab/server/scenario.ts DEFAULT_SCENARIO). */
const CHOICE_TEXT = 'Updates are available. Install which?';
/**
 * A case's own waits are bounded (a minute or two each) and fail with what they expected; the runner's
 * timeout is only a backstop, well above their sum, so that a case never goes on in the background while
 * the next one starts a simulator.
 */
const CASE_TIMEOUT = 20 * 60000;
const FAST_UI = {
  checking: { text: 'Checking for updates…', options: 'MINDT=1' },
  upToDate: { text: 'Your software is up to date.', options: 'MINDT=1' },
};

if (found.skip) {
  console.log(`NOTICE: ${found.skip}; the simulator suite is skipped`);
  test('simulator suite', { skip: found.skip }, () => undefined);
} else {
  suite(found.sdk!);
}

function suite(sdk: Sdk): void {
  let work = '';
  let fileRoot = '';
  let xdg = '';
  let display: XDisplay | undefined;
  let xsbug: XsbugListener | undefined;
  let screen: ScreenDriver | undefined;
  let builder: Builder | undefined;
  let labPort = 0;
  let brokerPort = 0;
  // The simulator of the case running, for the waits to notice when it died, and where its log starts.
  let current: RunningSim | undefined;
  let caseMark = 0;
  /** False while a case expects its session to fail (the server is down). */
  let sessionsMustWork = true;

  before(async () => {
    work = workFolder();
    fileRoot = `${join(work, 'fs')}/`;
    xdg = join(work, 'xdg');
    // scripts/test-sim.mjs empties test/sim/out before a run of every case; a run of some keeps the rest.
    mkdirSync(OUT_DIR, { recursive: true });
    builder = new Builder(sdk, work, fileRoot);
    labPort = await freePort();
    brokerPort = await freePort();
    display = await startXvfb();
    xsbug = new XsbugListener();
    await xsbug.start();
    screen = new ScreenDriver(display.name);
  });

  after(async () => {
    await xsbug?.close();
    await stopProcess(display?.proc);
    writeTable();
    if (work && !process.env.DM_SIM_KEEP) rmSync(work, { recursive: true, force: true });
    else if (work) console.log(`work folder kept: ${work}`);
  });

  function device(auth: AuthType, transport: Transport, encoding: Encoding, components?: object[]): DeviceJson {
    const d = structuredClone(BASE_DEVICE) as DeviceJson & { account: Record<string, unknown>; components: object[] };
    d.account = { ...d.account, serverUri: `http://127.0.0.1:${labPort}/dm`, auth: { type: auth, username: 'dmuser', password: 'dmpass' } };
    d.transport =
      transport === 'http'
        ? { kind: 'http', encoding, timeoutMs: 30000, retries: 2 }
        : { kind: 'mqtt', encoding, timeoutMs: 30000, retries: 2, mqtt: { url: `mqtt://127.0.0.1:${brokerPort}` } };
    if (components) d.components = [...d.components, ...components];
    return d;
  }

  interface CaseOptions {
    auth: AuthType;
    transport: Transport;
    encoding: Encoding;
    components?: object[];
    scenario?: unknown;
    /** false: no lab server at all (the server is down). */
    lab?: boolean;
    dm?: Record<string, unknown>;
    /** Starts from the file system the previous case left (the restart case's second half). */
    keepState?: boolean;
    /** The app is not expected to come up (configuration error). */
    noBoot?: boolean;
    /** The lab server's catalog (default test/sim/fixtures/catalog.json). */
    catalog?: string;
  }

  interface Case {
    sim: RunningSim;
    lab?: LabRun;
    built: Built;
    /** Index of the first device log line of this case. */
    mark: number;
    /** Index of the first instrument sample of this case. */
    sampleMark: number;
    restart(): Promise<void>;
  }

  /** Runs one case: build, clean state, lab, mcsim; the body drives it; everything is stopped after. */
  async function withCase(name: string, o: CaseOptions, body: (c: Case) => Promise<void>): Promise<void> {
    let lab: LabRun | undefined;
    let sim: RunningSim | undefined;
    const mark = xsbug!.lines.length;
    caseMark = mark;
    sessionsMustWork = o.lab !== false;
    const sampleMark = xsbug!.samples.length;
    let result = 'pass';
    try {
      const built = await builder!.build({ device: device(o.auth, o.transport, o.encoding, o.components), ...(o.dm ? { dm: o.dm } : {}) });
      if (!o.keepState) cleanDir(fileRoot);
      if (o.lab !== false) {
        lab = await startLabServer({
          port: labPort,
          brokerPort,
          auth: o.auth,
          scenario: o.scenario,
          mqtt: o.transport === 'mqtt',
          ...(o.catalog ? { catalog: o.catalog } : {}),
        });
      }
      const boot = async () => {
        const from = xsbug!.lines.length;
        sim = await startMcsim(sdk, display!, built, xsbug!, xdg);
        current = sim;
        if (o.noBoot) return;
        await waitFor(
          () => `the device's "device … up" log line`,
          60000,
          () => xsbug!.find(/device \S+ up/, from),
        );
        // The screen is found anew at each start (the window could be placed elsewhere).
        screen!.origin = undefined;
        await waitFor(
          () => 'the idle screen to be drawn (its title bar and key found in a screenshot)',
          30000,
          async () => {
            const where = await screen!.locate();
            return where && (await screen!.shot()).kind() === 'idle' ? true : undefined;
          },
        );
      };
      await boot();
      const c: Case = {
        sim: sim!,
        built,
        mark,
        sampleMark,
        ...(lab ? { lab } : {}),
        restart: async () => {
          await stopProcess(sim!.proc);
          xsbug!.detach();
          await boot();
          c.sim = sim!;
        },
      };
      await body(c);
      if (lab) {
        const dev = lab.lab.server.deviations();
        assert.deepEqual(
          dev.map((d) => d.message),
          [],
          'the lab server noticed protocol deviations',
        );
      }
    } catch (e) {
      result = `FAIL: ${firstLine(e)}`;
      if (screen?.origin) screen.saveAll(join(OUT_DIR, 'failures', `${name}.png`));
      const labLog = lab
        ? lab.logs
            .slice(-15)
            .map((l) => `    | ${l}`)
            .join('\n')
        : '    (no lab server)';
      const err = new Error(
        `${name}: ${(e as Error).message}\n  device log (last lines):\n${xsbug!.tail(30, mark)}\n  lab server log (last lines):\n${labLog}` +
          (sim ? `\n  mcsim: ${sim.ended() ?? 'running'}; its output: ${sim.output().slice(-400) || '(none)'}` : '') +
          (sim?.ended() && /signal/.test(sim.ended()!)
            ? `\n  backtrace of its core:\n${sim.backtrace() ?? '    (no core file, or no gdb)'}`
            : ''),
      );
      throw err;
    } finally {
      await stopProcess(sim?.proc);
      xsbug!.detach();
      await lab?.lab.close();
      const p = peaks(xsbug!.samples.slice(sampleMark));
      rows.push({
        name,
        auth: o.auth,
        transport: o.transport,
        encoding: o.encoding,
        result,
        chunk: p.chunk,
        slots: p.slots,
        stack: p.stack,
      });
    }
  }

  // ------------------------------------------------------------------ screen helpers

  async function waitKind(kinds: ScreenKind | ScreenKind[], ms: number, what: string, not?: Shot): Promise<Shot> {
    const want = Array.isArray(kinds) ? kinds : [kinds];
    let last: ScreenKind = 'unknown';
    return waitFor(
      () => `${what} (screen kind ${want.join('/')}; last seen: ${last})`,
      ms,
      async () => {
        const ended = current?.ended();
        if (ended) throw new Error(`mcsim ended (${ended}) while waiting for ${what}`);
        const failed = sessionsMustWork ? xsbug!.find(/session failed/, caseMark) : undefined;
        if (failed) {
          // What the screen says after a failed check: app.ts puts "Check failed: …" on the idle screen.
          await sleep(1500);
          const now = await screen!.shot();
          const says = now.kind() === 'idle' && now.inkRight(34, 56, 130) > 20;
          throw new Error(
            `the device's session failed while waiting for ${what}: "${failed}"; the screen then ` +
              (says
                ? 'shows "Check failed: …"'
                : `does not show "Check failed: …" (screen kind ${now.kind()}, first line short: still "Ready."?)`),
          );
        }
        const s = await screen!.shot();
        last = s.kind();
        if (process.env.DM_SIM_DEBUG)
          console.log(`${new Date().toISOString()} ${what}: ${last}${not && s.equals(not) ? ' (unchanged)' : ''}`);
        if (!want.includes(last)) return undefined;
        if (not && s.equals(not)) return undefined;
        return s;
      },
      150,
    );
  }

  async function snap(shot: Shot, file: string): Promise<void> {
    const path = join(OUT_DIR, file);
    await shot.save(path);
    if (!screenshots.includes(file)) screenshots.push(file);
  }

  const idleLayout = () => layout({ kind: 'idle', title: 'TS-Agent-1', lines: [] });
  const softKey = () => zoneOf(idleLayout(), (z) => z.action.kind === 'soft-button', 'the Check for updates key');

  async function checkForUpdates(): Promise<void> {
    await screen!.touchZone(softKey());
  }

  async function answerConfirm(yes: boolean): Promise<void> {
    const l = layout({ kind: 'confirm', title: 'Please confirm', lines: [], page: 0, pages: 1, yes: 'Yes', no: 'No' });
    await screen!.touchZone(
      zoneOf(l, (z) => z.action.kind === 'event' && z.action.event.kind === (yes ? 'yes' : 'no'), yes ? 'Yes' : 'No'),
    );
  }

  /** The choice screen the core draws for a 1103/1104 with `text` and `options` (agent/ui/interaction.ts). */
  function choiceLayout(text: string, options: string[], multiple: boolean, selected: number[] = []) {
    const lines = wrap(text, CAPABILITIES.columns);
    const textRows = Math.max(1, Math.min(lines.length, Math.floor(CAPABILITIES.rows / 3)));
    return layout({
      kind: 'choice',
      title: multiple ? 'Choose' : 'Choose one',
      lines: paginate(lines, textRows)[0]!,
      multiple,
      cursor: 0,
      first: 0,
      options: options.map((label, i) => ({ label, selected: selected.includes(i) })),
    });
  }

  const pickZone = (l: ReturnType<typeof layout>, index: number) =>
    zoneOf(l, (z) => z.action.kind === 'event' && z.action.event.kind === 'pick' && z.action.event.index === index, `option ${index + 1}`);

  async function updateCase(name: string, auth: AuthType, transport: Transport, encoding: Encoding, shots = false): Promise<void> {
    await withCase(
      name,
      { auth, transport, encoding, ...(shots ? { scenario: { failures: [{ kind: 'delay-ms', ms: 1500, message: 1 }] } } : {}) },
      async (c) => {
        const lab = c.lab!.lab.server;
        const idle = await screen!.shot();
        if (shots) await snap(idle, 'idle.png');
        await checkForUpdates();
        if (shots) await snap(await waitKind('text', 30000, 'the "Checking for updates…" message (1100)'), 'checking.png');
        const confirm = await waitKind('confirm', 60000, 'the confirm (1101) of the update');
        if (shots) await snap(confirm, 'confirm.png');
        await answerConfirm(true);
        if (shots) {
          // The result alert goes in a second session, whose first message the scenario delays: the
          // install's progress stays on the screen meanwhile.
          await snap(await waitKind('progress', 30000, 'the download/install progress'), 'progress.png');
        }
        const outcome = await waitFor(
          () => `result 1200 recorded by the lab server (outcomes: ${JSON.stringify(lab.outcomes())})`,
          90000,
          () => lab.outcomes().find((o) => o.resultCode === 1200),
        );
        assert.equal(outcome.deployment?.componentId, 'com.example.weather', 'the result is for the Weather component');
        const answers = lab.uiAnswers();
        assert.ok(
          answers.some((a) => a.alert === '1101' && a.status === 200),
          `the confirm was answered Yes (200): ${JSON.stringify(answers)}`,
        );
        const deps = lab.deployments();
        assert.equal(deps.length, 1, 'one deployment');
        assert.equal(deps[0]!.state, 'completed', 'the deployment completed');
        const end = await waitKind('idle', 60000, 'the idle screen after the update', idle);
        if (shots) await snap(end, 'up-to-date.png');
        const inv = lab.device(BASE_DEVICE.devInfo.devId)?.inventory ?? [];
        assert.ok(
          inv.some((x) => x.id === 'com.example.weather' && x.version === '2.0'),
          `the lab's view of the device has Weather 2.0: ${JSON.stringify(inv)}`,
        );
      },
    );
  }

  // ------------------------------------------------------------------ 1. updates

  describe('1. an update: confirm Yes, download, install, result 1200', { timeout: 8 * CASE_TIMEOUT }, () => {
    test('basic, HTTP, XML (with the screenshots of a session)', { timeout: CASE_TIMEOUT }, () =>
      updateCase('update-basic-http-xml', 'basic', 'http', 'xml', true),
    );
    test('MD5, HTTP, WBXML', { timeout: CASE_TIMEOUT }, () => updateCase('update-md5-http-wbxml', 'md5', 'http', 'wbxml'));
    test('HMAC, HTTP, XML', { timeout: CASE_TIMEOUT }, () => updateCase('update-hmac-http-xml', 'hmac', 'http', 'xml'));
    test('HMAC, HTTP, WBXML', { timeout: CASE_TIMEOUT }, () => updateCase('update-hmac-http-wbxml', 'hmac', 'http', 'wbxml'));
    test('basic, MQTT, WBXML', { timeout: CASE_TIMEOUT }, () => updateCase('update-basic-mqtt-wbxml', 'basic', 'mqtt', 'wbxml'));
    test('MD5, MQTT, WBXML', { timeout: CASE_TIMEOUT }, () => updateCase('update-md5-mqtt-wbxml', 'md5', 'mqtt', 'wbxml'));
  });

  // ------------------------------------------------------------------ 2. No, long press, server down

  describe('2. answers and failures', { timeout: 8 * CASE_TIMEOUT }, () => {
    test('"No" on the confirm: the lab records 304 and deploys nothing', { timeout: CASE_TIMEOUT }, () =>
      withCase('confirm-no', { auth: 'basic', transport: 'http', encoding: 'wbxml' }, async (c) => {
        const lab = c.lab!.lab.server;
        const idle = await screen!.shot();
        await checkForUpdates();
        await waitKind('confirm', 60000, 'the confirm (1101)');
        await answerConfirm(false);
        const postponed = await waitKind('text', 30000, 'the "Update postponed." message (1100)');
        await snap(postponed, 'postponed.png');
        await waitFor(
          () => `the 304 answer recorded (${JSON.stringify(lab.uiAnswers())})`,
          30000,
          () => lab.uiAnswers().find((a) => a.alert === '1101' && a.status === 304),
        );
        await waitKind('idle', 60000, 'the idle screen after the session', idle);
        assert.deepEqual(lab.deployments(), [], 'nothing deployed after No');
        assert.deepEqual(lab.outcomes(), [], 'no result reported after No');
        assert.ok(
          lab.uiAnswers().some((a) => a.alert === '1100' && /postponed/.test(a.text)),
          'the "postponed" message was shown',
        );
      }),
    );

    test('long press picks the second component: the request names it, only it is offered and installed', { timeout: CASE_TIMEOUT }, () =>
      withCase('long-press-second', { auth: 'basic', transport: 'http', encoding: 'wbxml', components: [SECOND_COMPONENT] }, async (c) => {
        const lab = c.lab!.lab.server;
        const idle = await screen!.shot();
        await screen!.touchZone(softKey(), 2600);
        const pick = await waitKind('choice', 30000, 'the component pick list after a long press');
        await snap(pick, 'pick-component.png');
        await screen!.touchZone(pickZone(choiceLayout('Check for updates of', ['Weather 1.0', 'Sensor driver 1.4'], false), 1));
        await waitFor(
          () => 'the lab to log an UpdateUserRequest for ./SCOMO/Inventory/Deployed/app2',
          60000,
          () => c.lab!.logs.find((l) => /UpdateUserRequest for \.\/SCOMO\/Inventory\/Deployed\/app2/.test(l)),
        );
        await waitKind('confirm', 60000, 'the confirm (1101) for the picked component');
        await answerConfirm(true);
        const outcome = await waitFor(
          () => `result 1200 (${JSON.stringify(lab.outcomes())})`,
          90000,
          () => lab.outcomes().find((o) => o.resultCode === 1200),
        );
        assert.equal(outcome.deployment?.componentId, 'com.example.sensor', 'the picked component was installed');
        const confirm = lab.uiAnswers().find((a) => a.alert === '1101');
        assert.match(confirm?.text ?? '', /Sensor driver 1\.5/, 'the confirm names the picked component');
        assert.equal(lab.deployments().length, 1, 'only the picked component was deployed');
        await waitKind('idle', 60000, 'the idle screen after the update', idle);
      }),
    );

    test('server down: the check fails and the screen says so', { timeout: CASE_TIMEOUT }, () =>
      withCase('server-down', { auth: 'basic', transport: 'http', encoding: 'wbxml', lab: false }, async (c) => {
        const idle = await screen!.shot();
        await checkForUpdates();
        const line = await waitFor(
          () => 'a log line saying the session failed',
          90000,
          () => xsbug!.find(/session failed|check failed|no reply/i, c.mark),
        );
        assert.match(line, /session failed|no reply/i, 'the device logs the failed session');
        // The idle screen comes back with "Check failed: …" (app.ts showIdle): a long first line, unlike
        // "Ready." or "Up to date.", which end before x = 120.
        const after = await waitFor(
          () => 'the idle screen to change after the failed check',
          30000,
          async () => {
            const s = await screen!.shot();
            return s.kind() === 'idle' && !s.equals(idle) ? s : undefined;
          },
        ).catch(async () => screen!.shot());
        await snap(after, 'check-failed.png');
        assert.ok(!after.equals(idle), 'the screen changed after the failed check (it still shows what it showed before: "Ready.")');
        assert.ok(after.inkRight(34, 56, 130) > 20, 'the first line of the idle screen is long, as "Check failed: …" is (not "Ready.")');
      }),
    );

    test('configuration error: a bad config.dm value shows "Configuration error"', { timeout: CASE_TIMEOUT }, () =>
      withCase(
        'config-error',
        { auth: 'basic', transport: 'http', encoding: 'wbxml', lab: false, dm: { maxMsgSize: 100 }, noBoot: true },
        async (c) => {
          const line = await waitFor(
            () => 'the "config error" trace',
            30000,
            () => xsbug!.find(/config error/, c.mark),
          );
          assert.match(line, /dm\.maxMsgSize/, 'the trace names the key');
          if (!screen!.origin) throw new Error('the screen was never located (no earlier case reached the idle screen)');
          const s = await waitKind('text', 30000, 'the "Configuration error" screen');
          await snap(s, 'config-error.png');
        },
      ),
    );
  });

  // ------------------------------------------------------------------ 3. UI alerts 1100..1104

  test('3. every UI alert kind 1100..1104 drawn and answered on the screen', { timeout: CASE_TIMEOUT }, () => {
    const scenario = {
      name: 'sim-ui',
      ui: {
        extra: [
          { alert: '1100', text: 'Maintenance tonight at 2:00.', options: 'MINDT=2', expectStatus: 200 },
          { alert: '1101', text: 'Download over a metered network?', options: 'MAXDT=120', expectStatus: 200 },
          { alert: '1102', text: 'Enter the service PIN', options: 'MAXDT=120&MAXLEN=4&IT=N&ET=P', expectStatus: 200 },
          {
            alert: '1104',
            text: 'Enable which radios?',
            options: 'MAXDT=120',
            choices: ['Wi-Fi', 'Bluetooth', 'Cellular'],
            expectStatus: 200,
          },
        ],
        choice: { text: CHOICE_TEXT, options: 'MAXDT=120', expect: 2 },
      },
    };
    return withCase(
      'ui-alerts',
      { auth: 'basic', transport: 'http', encoding: 'wbxml', components: [SECOND_COMPONENT], scenario },
      async (c) => {
        const lab = c.lab!.lab.server;
        const idle = await screen!.shot();
        await checkForUpdates();
        // 1100: shown for MINDT, answered 200 by the core. "Checking…" first, then the scenario's own.
        const checking = await waitKind('text', 60000, 'the 1100 "Checking for updates…"');
        const display = await waitKind('text', 60000, 'the extra 1100 "Maintenance tonight…"', checking);
        await snap(display, 'message-1100.png');
        const confirm = await waitKind('confirm', 60000, 'the 1101 confirm');
        await snap(confirm, 'confirm-1101.png');
        await answerConfirm(true);
        // 1102: a 4-digit PIN, masked, typed on the on-screen keyboard.
        const input = await waitKind('input', 60000, 'the 1102 PIN entry');
        await snap(input, 'pin-entry.png');
        const inputScreen = {
          kind: 'input' as const,
          title: 'Input',
          lines: wrap('Enter the service PIN', CAPABILITIES.columns),
          value: '',
          masked: true,
          inputType: 'N',
          maxLength: 4,
        };
        await screen!.touchZone(
          zoneOf(layout(inputScreen), (z) => z.action.kind === 'keyboard' && z.action.show && z.y >= 272, 'the Edit key'),
        );
        await waitKind('keyboard', 15000, 'the on-screen keyboard');
        const kb = layout(inputScreen, { keyboard: true, mode: 'digits' });
        for (const d of '1234') {
          await screen!.touchZone(
            zoneOf(kb, (z) => z.action.kind === 'key' && z.action.action.kind === 'char' && z.action.action.ch === d, `the key ${d}`),
          );
        }
        await snap(await screen!.shot(), 'pin-keyboard.png');
        await screen!.touchZone(zoneOf(kb, (z) => z.action.kind === 'key' && z.action.action.kind === 'submit', 'the keyboard OK key'));
        // 1104: tick the first and the third, then OK.
        const multi = await waitKind('choice', 60000, 'the 1104 multiple choice');
        const ml = choiceLayout('Enable which radios?', ['Wi-Fi', 'Bluetooth', 'Cellular'], true);
        await screen!.touchZone(pickZone(ml, 0));
        await screen!.touchZone(pickZone(ml, 2));
        const ticked = await screen!.shot();
        await snap(ticked, 'multiple-choice.png');
        assert.ok(!ticked.equals(multi), 'ticking options changed the screen');
        await screen!.touchZone(zoneOf(ml, (z) => z.action.kind === 'event' && z.action.event.kind === 'submit', 'OK'));
        // 1103: the lab's choice among the two updates (and "All of them"): the second.
        const single = await waitKind('choice', 60000, 'the 1103 single choice among the updates', ticked);
        await snap(single, 'single-choice.png');
        await screen!.touchZone(pickZone(choiceLayout(CHOICE_TEXT, ['a', 'b', 'All of them'], false), 1));
        const outcome = await waitFor(
          () => `result 1200 (${JSON.stringify(lab.outcomes())})`,
          90000,
          () => lab.outcomes().find((o) => o.resultCode === 1200),
        );
        await waitKind('idle', 60000, 'the idle screen after the update', idle);
        const answers = lab.uiAnswers().map((a) => ({ alert: a.alert, text: a.text, status: a.status, answer: a.answer }));
        const byText = (t: string) => answers.find((a) => a.text.startsWith(t));
        assert.deepEqual(byText('Checking')?.status, 200, `1100 "Checking…" answered 200: ${JSON.stringify(answers)}`);
        assert.deepEqual(
          byText('Maintenance'),
          { alert: '1100', text: 'Maintenance tonight at 2:00.', status: 200, answer: [] },
          'the extra 1100',
        );
        assert.deepEqual(
          byText('Download over'),
          { alert: '1101', text: 'Download over a metered network?', status: 200, answer: [] },
          'the 1101, Yes',
        );
        assert.deepEqual(
          byText('Enter the service PIN'),
          { alert: '1102', text: 'Enter the service PIN', status: 200, answer: ['1234'] },
          'the 1102 PIN',
        );
        assert.deepEqual(
          byText('Enable which'),
          { alert: '1104', text: 'Enable which radios?', status: 200, answer: ['1', '3'] },
          'the 1104, options 1 and 3',
        );
        assert.deepEqual(byText(CHOICE_TEXT), { alert: '1103', text: CHOICE_TEXT, status: 200, answer: ['2'] }, 'the 1103, option 2');
        const deps = lab.deployments();
        assert.equal(deps.length, 1, `one component deployed: ${JSON.stringify(deps)}`);
        assert.equal(outcome.deployment?.correlator, deps[0]!.correlator, 'the result is for that deployment');
      },
    );
  });

  // ------------------------------------------------------------------ 4. restart

  test('4. a restart keeps the tree, the settings and the installed version', { timeout: CASE_TIMEOUT }, () =>
    withCase('restart', { auth: 'basic', transport: 'http', encoding: 'wbxml', scenario: { ui: FAST_UI } }, async (c) => {
      const lab = c.lab!.lab.server;
      const fresh = await screen!.shot();
      await checkForUpdates();
      await waitKind('confirm', 60000, 'the confirm (1101)');
      await answerConfirm(true);
      await waitFor(
        () => `result 1200 (${JSON.stringify(lab.outcomes())})`,
        90000,
        () => lab.outcomes().find((o) => o.resultCode === 1200),
      );
      const updated = await waitKind('idle', 60000, 'the idle screen after the update', fresh);
      const before = listState(fileRoot);
      const bootMark = xsbug!.lines.length;
      await c.restart();
      const restarted = await screen!.shot();
      await snap(restarted, 'idle-after-restart.png');
      // Line 2 of the idle screen lists the component: "Weather 2.0" as after the update, not the factory 1.0.
      assert.ok(
        restarted.bandEquals(updated, 58, 80),
        'after the restart the idle screen lists the same version as right after the update',
      );
      assert.ok(!restarted.bandEquals(fresh, 58, 80), 'after the restart the idle screen does not list the factory version');
      assert.match(xsbug!.find(/device \S+ up/, bootMark) ?? '', /"deployed":1/, 'one component deployed at boot');
      assert.deepEqual(
        listState(fileRoot).filter((f) => f.startsWith('dm/')),
        before.filter((f) => f.startsWith('dm/')),
        'the stored tree files are the same',
      );
      // The settings (the SDK's Preference store: on Linux a JSON file under config.file.root), checked last
      // so that the rest of the case runs when they are missing.
      const prefs = join(fileRoot, 'modpreferences.json');
      const prefsText = existsSync(prefs) ? readFileSync(prefs, 'utf8') : undefined;
      let saved: Record<string, Record<string, unknown>> | undefined;
      try {
        saved = prefsText ? (JSON.parse(prefsText) as typeof saved) : undefined;
      } catch {
        saved = undefined;
      }
      // A second check: up to date, and the server reads 2.0 from the device's tree.
      const sessions = lab.device(BASE_DEVICE.devInfo.devId)?.sessions ?? 0;
      await checkForUpdates();
      await waitFor(
        () => 'the second check to end with "up to date"',
        60000,
        () => lab.uiAnswers().find((a) => /up to date/.test(a.text)),
      );
      await waitKind('idle', 60000, 'the idle screen after the second check', restarted);
      assert.ok((lab.device(BASE_DEVICE.devInfo.devId)?.sessions ?? 0) > sessions, 'a new session ran');
      assert.equal(lab.deployments().length, 1, 'nothing deployed by the second check');
      const inv = lab.device(BASE_DEVICE.devInfo.devId)?.inventory ?? [];
      assert.ok(
        inv.some((x) => x.id === 'com.example.weather' && x.version === '2.0'),
        `the device reports Weather 2.0 after the restart: ${JSON.stringify(inv)}`,
      );
      assert.ok(
        saved?.dm && Object.keys(saved.dm).length > 0,
        `the settings were kept over the restart (${prefs}: ${prefsText === undefined ? 'missing' : JSON.stringify(prefsText.slice(0, 200))}; ` +
          `device log: ${xsbug!.find(/preference/i, c.mark) ?? 'no preference line'})`,
      );
    }),
  );

  // ------------------------------------------------------------------ 4b. a firmware update with its restart

  test(
    '4b. a firmware update: confirm, download into the other slot, restart, trial, confirmed, 200 from the new firmware',
    { timeout: CASE_TIMEOUT },
    () =>
      withCase(
        'firmware',
        {
          auth: 'basic',
          transport: 'http',
          encoding: 'wbxml',
          scenario: { ui: FAST_UI },
          catalog: join(FIRMWARE_FIXTURES, 'catalog.json'),
        },
        async (c) => {
          const lab = c.lab!.lab.server;
          assert.ok(xsbug!.find(/firmware 1\.0\.0 on ota_0(?! \()/, c.mark), 'the factory firmware runs from ota_0');
          await checkForUpdates();
          await snap(await waitKind('confirm', 60000, 'the confirm of the firmware (1101)'), 'firmware-confirm.png');
          await answerConfirm(true);
          await waitFor(
            () => 'the firmware restart (log line "firmware restart")',
            120000,
            () => xsbug!.find(/firmware restart/, c.mark),
          );
          // "Restarting…" with the versions, drawn as an idle-kind message screen (agent/ui/interaction.ts showMessage).
          await snap(await screen!.shot(), 'firmware-restarting.png');
          const image = readFileSync(join(FIRMWARE_FIXTURES, 'ts-agent-1-1.1.0.json'));
          assert.deepEqual(readFileSync(join(fileRoot, 'dm-fw/ota_1.bin')), image, 'the image is in ota_1, byte for byte');
          assert.equal(
            lab.uiAnswers().find((a) => a.alert === '1101')?.text,
            'Firmware 1.1.0 is available. Install now? The device will restart.',
          );
          // The restart: mcsim stopped and started on the same file system (the simulated power-on).
          const bootMark = xsbug!.lines.length;
          await c.restart();
          assert.ok(xsbug!.find(/firmware 1\.1\.0 on ota_1 \(trial\)/, bootMark), 'the new firmware starts as a trial from ota_1');
          await waitFor(
            () => `the firmware result 200 (${JSON.stringify(lab.outcomes())})`,
            120000,
            () => lab.outcomes().find((o) => o.resultCode === 200),
          );
          assert.deepEqual(
            lab.deployments().map((d) => [d.componentId, d.version, d.state]),
            [['firmware:TS-Agent-1', '1.1.0', 'completed']],
          );
          await waitFor(
            () => 'otadata: ota_1 VALID',
            30000,
            () => /"state":"valid"/.test(readFileSync(join(fileRoot, 'dm-fw/otadata/otadata'), 'utf8')) || undefined,
          );
          const confirmedMark = xsbug!.lines.length;
          await c.restart();
          assert.ok(xsbug!.find(/firmware 1\.1\.0 on ota_1(?! \()/, confirmedMark), 'confirmed: 1.1.0 stays, no trial');
        },
      ),
  );

  // ------------------------------------------------------------------ 5. heaps over 20 checks

  test('5. 20 checks in a row: the heaps do not grow', { timeout: 4 * CASE_TIMEOUT }, () =>
    withCase('20-checks', { auth: 'basic', transport: 'http', encoding: 'wbxml', scenario: { failures: ['no-update'] } }, async () => {
      // XS collects garbage only when a heap is full, so a sample's "used" includes garbage. The debugger
      // gets the live heaps: asked to break (<step/>) while "Checking for updates…" waits out its MINDT, the
      // app breaks in that timer's callback, and the SDK's simulator collects garbage and samples before it
      // reports the break. Checks 5 and 20 are read at that same point of the session. (A break forced in a
      // touch handler instead made mcsim die of SIGSEGV a few checks later, twice out of two.)
      const forced: Record<number, Sample | undefined> = {};
      const starts: number[] = [];
      for (let i = 1; i <= 20; i++) {
        const n = xsbug!.lines.length;
        starts.push(xsbug!.samples.length);
        await checkForUpdates();
        const checking = await waitKind('text', 30000, `check ${i}: the "Checking for updates…" message`);
        if (i === 5 || i === 20) forced[i] = await xsbug!.collect(15000);
        if (i === 2)
          await snap(
            await waitKind('text', 30000, 'the "Your software is up to date." message (1100)', checking),
            'up-to-date-message.png',
          );
        const end = await waitKind('idle', 60000, `check ${i}: the idle screen after the session`);
        if (i === 1) {
          await snap(checking, 'checking-no-update.png');
          await snap(end, 'up-to-date-idle.png');
        }
        const failed = xsbug!.find(/session failed/, n);
        if (failed) throw new Error(`check ${i} failed: ${failed}`);
        await sleep(1200);
      }
      starts.push(xsbug!.samples.length);
      const size = slotBytes(xsbug!.samples);
      const window = (from: number, to: number) => {
        const w = xsbug!.samples.slice(starts[from - 1], starts[to]).filter((x) => !x.forced);
        const v = (k: string) => w.map((x) => x.values[k] ?? NaN).filter((x) => Number.isFinite(x));
        const gc = v('Garbage collections');
        return {
          checks: `${from}-${to}`,
          samples: w.length,
          collections: gc.reduce((a, b) => a + b, 0),
          chunk: Math.min(...v('Chunk used')),
          slots: Math.round(Math.min(...v('Slot used')) / size),
          stack: Math.round(Math.max(...v('Stack used')) / size),
        };
      };
      const r5 = window(1, 5);
      const r20 = window(16, 20);
      const series = xsbug!.samples.slice(starts[0], starts[20]).map((x, k) => ({
        check: starts.findIndex((st) => st > starts[0]! + k),
        chunk: x.values['Chunk used'],
        slots: Math.round((x.values['Slot used'] ?? 0) / size),
        gc: x.values['Garbage collections'],
      }));
      const live = (i: number) => {
        const v = forced[i]?.values;
        return v ? { chunk: v['Chunk used']!, slots: Math.round(v['Slot used']! / size) } : undefined;
      };
      const l5 = live(5);
      const l20 = live(20);
      writeFileSync(
        join(OUT_DIR, 'heaps-20-checks.json'),
        JSON.stringify({ live: { check5: l5, check20: l20 }, floors: { after5: r5, after20: r20 }, series }, null, 1),
      );
      const msg =
        `live heaps (after a collection, at the same point of the session) in check 5: ${l5 ? `${l5.chunk} chunk bytes, ${l5.slots} slots` : 'not read'}; ` +
        `in check 20: ${l20 ? `${l20.chunk}, ${l20.slots}` : 'not read'}; stack peak by check 5: ${r5.stack} slots, by check 20: ${r20.stack}. ` +
        `Lowest samples over checks 1-5: ${r5.chunk} B, ${r5.slots} slots (${r5.samples} samples, ${r5.collections} collections); ` +
        `over 16-20: ${r20.chunk} B, ${r20.slots} slots (${r20.samples}, ${r20.collections})`;
      console.log(`heaps: ${msg}`);
      heapNote = msg;
      assert.ok(l5 && l20, `the debugger read the live heaps in checks 5 and 20 (a break while "Checking for updates…" is shown): ${msg}`);
      assert.ok(l20!.chunk <= l5!.chunk + 512, `the chunk heap grew from check 5 to check 20: ${msg}`);
      assert.ok(l20!.slots <= l5!.slots + 16, `the slot heap grew from check 5 to check 20: ${msg}`);
      assert.ok(r20.stack <= r5.stack, `the stack peak grew from check 5 to check 20: ${msg}`);
    }),
  );

  function writeTable(): void {
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    const lines = [
      `Simulator runs (Moddable SDK simulator, ${new Date().toISOString()}); creation: chunk ${CREATION.chunk} B (${kb(CREATION.chunk)}), ` +
        `heap ${CREATION.slots} slots, stack ${CREATION.stack} slots. Peaks are the largest instrument samples (one a second) of each run.`,
      '',
      '| case | account | transport | encoding | result | peak chunk | peak slots | peak stack |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${r.name} | ${r.auth} | ${r.transport} | ${r.encoding} | ${r.result.replace(/\|/g, '/').slice(0, 160)} | ` +
          `${r.chunk ? `${r.chunk} B (${Math.round((100 * r.chunk) / CREATION.chunk)} %)` : '-'} | ` +
          `${r.slots ? `${r.slots} (${Math.round((100 * r.slots) / CREATION.slots)} %)` : '-'} | ` +
          `${r.stack ? `${r.stack} (${Math.round((100 * r.stack) / CREATION.stack)} %)` : '-'} |`,
      ),
      '',
      ...(heapNote ? [`20 checks in a row: ${heapNote}.`, ''] : []),
      'Screenshots taken by this run (test/sim/out/):',
      '',
      ...screenshots.map((f) => `- ${f}`),
      '',
    ];
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, 'table.md'), lines.join('\n'));
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e)
    .split('\n')[0]!
    .slice(0, 200);
}

/** Files under the simulator's file root, relative (the stored tree, packages, components, preferences). */
function listState(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  walk(root, '');
  return out.sort();
}
