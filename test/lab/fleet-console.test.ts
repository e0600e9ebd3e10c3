// `fleet --server inproc --console` and `--strict`: the lab the fleet starts in process (startFleetLab), the
// fleet devices' screens and buttons in the console's API (/api/sim), and the fleet's automatic answer to a
// screen nobody answers in the page. The answers' clock is a FakeClock: the test moves it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../../lab/cli.js';
import { startFleetLab } from '../../lab/commands/fleet.js';
import { runFleet } from '../../lab/fleet/fleet.js';
import { fleetAccounts } from '../../lab/fleet/accounts.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadDevice } from '../../lab/commands/common.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { repoRoot } from '../helpers/peers.js';
import { exampleCatalog } from './server/fixtures.js';
import { encodeXml } from '../../agent/syncml/xml-encode.js';
import { devMsg, pkg1Body } from './server/fixtures.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

const template = () => loadDevice(join(repoRoot, 'lab/examples/device.json'));
const DEV = (i: number) => `IMEI:493005100592800-${i}`;

interface SimView {
  devId: string;
  screen: { kind: string; title?: string; lines?: string[] } | null;
  renders: number;
}

test('fleet --console: each device its screen and button in /api/sim; a screen answered in the page is taken, one left alone gets the fleet’s answer', async () => {
  const fleet = await startFleetLab({
    catalog: exampleCatalog(),
    accounts: parseDevices(fleetAccounts(template(), 2, 'per-device')),
    consolePort: 0,
  });
  const origin = fleet.lab.dmUrl.replace(/\/dm$/, '');
  const clock = new FakeClock();
  const sims = async (): Promise<SimView[]> => (await (await fetch(`${origin}/api/sim`)).json()) as SimView[];
  /** Waits (without moving the clock) until the screens satisfy `ok`: the devices work on real I/O meanwhile. */
  const until = async (what: string, ok: (s: Map<string, SimView>) => boolean): Promise<Map<string, SimView>> => {
    for (let n = 0; n < 2000; n++) {
      const s = new Map((await sims()).map((v) => [v.devId, v]));
      if (ok(s)) return s;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`the screens never showed ${what}: ${JSON.stringify(await sims())}`);
  };
  const kind = (s: Map<string, SimView>, i: number) => s.get(DEV(i))?.screen?.kind;
  const post = (i: number, action: string, body: unknown) =>
    fetch(`${origin}/api/sim/${encodeURIComponent(DEV(i))}/${action}`, { method: 'POST', body: JSON.stringify(body) });
  try {
    const run = runFleet({
      template: template(),
      devices: 2,
      sessionsPerDevice: 1,
      concurrency: 2,
      rampSeconds: 0,
      trigger: 'user',
      encoding: 'xml',
      target: { kind: 'inproc', server: fleet.lab.server, url: fleet.lab.dmUrl, packages: fleet.packages },
      console: { sims: fleet.bench!.sims, answerAfterMs: 5000, clock },
    });
    // The server's "Checking for updates…" (MINDT=2) on both screens, held there until the clock moves.
    await until('the checking message', (s) => kind(s, 0) === 'text' && kind(s, 1) === 'text');
    await clock.advance(2000);
    const choice = await until('the choice', (s) => kind(s, 0) === 'choice' && kind(s, 1) === 'choice');
    assert.deepEqual(
      (choice.get(DEV(0))!.screen as unknown as { options: { label: string }[] }).options.map((o) => o.label),
      ['Sensor driver 1.5', 'Weather 2.0', 'All of them'],
    );
    // Device 0 answered in the page: Weather 2.0. Device 1 is left alone until the fleet answers for it.
    assert.equal((await post(0, 'input', { event: { kind: 'pick', index: 1 } })).status, 202);
    await until('device 0 past its choice', (s) => kind(s, 0) !== 'choice');
    assert.equal(kind(await until('device 1 still waiting', () => true), 1), 'choice', 'device 1 waits for an answer');
    await clock.advance(5000);
    const s = await run;
    assert.equal(s.ok, 2, JSON.stringify(s.failures));
    assert.deepEqual(s.answers, { page: 1, automatic: 1 });
    const installed = (i: number) =>
      fleet.lab.server
        .deployments()
        .filter((d) => d.devId === DEV(i) && d.state === 'completed')
        .map((d) => `${d.componentId} ${d.version}`);
    assert.deepEqual(installed(0), ['com.example.weather 2.0'], 'the page’s answer');
    assert.deepEqual(installed(1), ['com.example.sensor 1.5'], 'the fleet’s answer: the first option');
    const answers = fleet.lab.server.uiAnswers().filter((a) => a.alert === '1103');
    assert.deepEqual(answers.map((a) => [a.devId, a.answer]).sort(), [
      [DEV(0), ['2']],
      [DEV(1), ['1']],
    ]);
    // Between sessions the idle screen; the page's button starts a check of the whole device.
    await until('the idle screens', (v) => kind(v, 0) === 'idle' && kind(v, 1) === 'idle');
    assert.equal((await post(1, 'button', {})).status, 202);
    await until('device 1 checking again', (v) => kind(v, 1) === 'text');
    await clock.advance(2000);
    await until('the confirm for Weather', (v) => kind(v, 1) === 'confirm');
    assert.equal((await post(1, 'input', { event: { kind: 'yes' } })).status, 202);
    await until('device 1 up to date', (v) => kind(v, 1) === 'idle' && installed(1).includes('com.example.weather 2.0'));
    assert.deepEqual(fleet.lab.server.deviations(), []);
  } finally {
    await fleet.close();
  }
});

test('fleet --strict: the in-process lab server runs in strict mode (a SyncML DS media type is refused with 415); it needs --server inproc', async () => {
  const body = encodeXml(devMsg({ msgId: 1, body: pkg1Body() }));
  for (const strict of [true, false]) {
    const fleet = await startFleetLab({
      catalog: exampleCatalog(),
      accounts: parseDevices(fleetAccounts(template(), 1, 'shared')),
      strict,
    });
    try {
      const r = await fleet.lab.server.handle(body, { uri: fleet.lab.dmUrl, contentType: 'application/vnd.syncml+xml' });
      if (strict) assert.equal(r?.status, 415, 'strict: refused');
      else {
        assert.equal(r?.status ?? 200, 200, 'not strict: taken');
        assert.ok(
          fleet.lab.server.deviations().some((d) => d.message.includes('MIME content types')),
          'with a deviation naming the rule',
        );
      }
    } finally {
      await fleet.close();
    }
  }
  const out = new Sink();
  assert.equal(
    await main(['fleet', '--devices', '2', '--server', 'inproc', '--strict', '--json'], out as never, out as never),
    0,
    out.text,
  );
  assert.equal(JSON.parse(out.text).ok, 2);
  const bad = new Sink();
  assert.equal(await main(['fleet', '--devices', '2', '--server', 'http://127.0.0.1:9/dm', '--strict'], bad as never, bad as never), 2);
  assert.match(bad.text, /--strict needs --server inproc/);
  const noConsole = new Sink();
  assert.equal(
    await main(['fleet', '--devices', '2', '--server', 'inproc', '--answer-after', '1'], noConsole as never, noConsole as never),
    2,
  );
  assert.match(noConsole.text, /--answer-after applies to --console only/);
});
