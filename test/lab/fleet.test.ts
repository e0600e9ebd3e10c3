import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../lab/cli.js';
import { causeGroup, runFleet, type FleetRunRecord } from '../../lab/fleet/fleet.js';
import { freePort } from '../helpers/brokers.js';
import { fleetAccounts, fleetDevice } from '../../lab/fleet/accounts.js';
import { labDevices } from '../../lab/commands/common.js';
import { startLab } from '../../lab/server/lab.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadDevice } from '../../lab/commands/common.js';
import { exampleCatalog } from './server/fixtures.js';
import { repoRoot } from '../helpers/peers.js';
import { join } from 'node:path';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}
const template = () => loadDevice(join(repoRoot, 'lab/examples/device.json'));

test('fleet in process: every device its own DevId, tree and update; the summary adds up', async () => {
  const out = new Sink();
  const code = await main(
    ['fleet', '--devices', '20', '--server', 'inproc', '--sessions', '3', '--concurrency', '4', '--json'],
    out as never,
    out as never,
  );
  assert.equal(code, 0, out.text);
  const s = JSON.parse(out.text);
  assert.equal(s.sessions, 60);
  assert.equal(s.ok, 60);
  assert.equal(s.dmSessions, 80, "each device's first session installs an update and reports it in a second DM session");
  assert.ok(
    s.sessionsPerS > 0 && s.latencyMs.p50 <= s.latencyMs.p99 && s.latencyMs.p99 <= s.latencyMs.max,
    's.sessionsPerS > 0 && s.latencyMs.p50 <= s.latencyMs.p99 && s.latencyMs.p99 <= s.latencyMs.max',
  );
  assert.ok(s.roundTrips >= 60 * 3, 'challenge, check and report at least');
  assert.deepEqual(s.serverDeviations, {}, 'the lab server saw a conforming client');
});

test('fleet over HTTP and over MQTT against the lab server: each device logs in with its own account; the autoUpdate component lands on every device once', async () => {
  const lab = await startLab({
    catalog: exampleCatalog(),
    mqtt: 'embedded',
    devices: parseDevices(fleetAccounts(template(), 5, 'per-device')),
  });
  try {
    const http = await runFleet({
      template: template(),
      devices: 5,
      sessionsPerDevice: 2,
      concurrency: 5,
      rampSeconds: 0,
      trigger: 'device',
      encoding: 'wbxml',
      target: { kind: 'http', url: lab.dmUrl },
    });
    assert.equal(http.ok, 10, JSON.stringify(http.failures));
    // One deployment per DevId: the second session of each device found it current.
    assert.deepEqual(
      lab.server
        .deployments()
        .map((d) => d.devId)
        .sort(),
      [0, 1, 2, 3, 4].map((i) => `IMEI:493005100592800-${i}`),
    );
    assert.ok(
      lab.server.deployments().every((d) => d.state === 'completed'),
      "lab.server.deployments().every((d) => d.state === 'completed')",
    );
    const seen = [0, 1, 2, 3, 4].reduce((n, i) => n + lab.server.device(`IMEI:493005100592800-${i}`)!.sessions, 0);
    assert.equal(http.dmSessions, seen, 'the DM sessions counted are the ones the server saw');
    assert.equal(seen, 15, 'update + result, then a check, per device');
    const mqtt = await runFleet({
      template: template(),
      devices: 5,
      sessionsPerDevice: 1,
      concurrency: 5,
      rampSeconds: 0,
      trigger: 'device',
      encoding: 'xml',
      target: { kind: 'mqtt', url: lab.dmUrl, brokerUrl: lab.brokerUrl! },
    });
    assert.equal(mqtt.ok, 5, JSON.stringify(mqtt.failures));
    // The MQTT fleet is new hardware with the old version under the same DevIds: updated once more each.
    assert.equal(lab.server.deployments().filter((d) => d.state === 'completed').length, 10);
    // The server has no account the devices share: a fleet that uses one is refused, device by device.
    const shared = await runFleet({
      template: template(),
      devices: 2,
      accounts: 'shared',
      sessionsPerDevice: 1,
      concurrency: 2,
      rampSeconds: 0,
      trigger: 'device',
      encoding: 'xml',
      target: { kind: 'http', url: lab.dmUrl },
    });
    assert.equal(shared.ok, 0);
    assert.match(Object.keys(shared.failures).join(), /DM_ERR_AUTH/);
  } finally {
    await lab.close();
  }
});

test('fleet accounts: each device its own name and secret, bound to its DevId; {i} places the index; --write-accounts feeds a server', async () => {
  const t = template();
  const own = fleetAccounts(t, 3, 'per-device');
  assert.deepEqual(
    own.map((a) => [a.username, a.password, a.devId]),
    [0, 1, 2].map((i) => [`dmuser-${i}`, `dmpass-${i}`, `IMEI:493005100592800-${i}`]),
  );
  assert.deepEqual(fleetAccounts(t, 3, 'shared'), [{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]);
  t.devInfo.devId = 'IMEI:35{i}';
  t.account.auth.username = 'dev{i}';
  t.account.serverAuth = { type: 'md5', username: 'srv', password: 'srv-{i}-secret' };
  const d7 = fleetDevice(t, 7, 'http://example.test/dm', 'per-device');
  assert.equal(d7.devInfo.devId, 'IMEI:357');
  assert.equal(d7.account.auth.username, 'dev7');
  assert.equal(d7.account.serverAuth?.username, 'srv-7');
  assert.equal(d7.account.serverAuth?.password, 'srv-7-secret');
  assert.equal(d7.account.serverUri, 'http://example.test/dm');
  assert.equal(d7.schedule, undefined, 'the fleet, not the agent, runs the schedule');
  assert.deepEqual(fleetAccounts(t, 8, 'per-device')[7], {
    username: 'dev7',
    password: 'dmpass-7',
    auth: 'md5',
    devId: 'IMEI:357',
    server: { username: 'srv-7', password: 'srv-7-secret', auth: 'md5' },
  });

  // The table the CLI writes is one the lab server takes, and the fleet then logs in with it over HTTP.
  const dir = mkdtempSync(join(tmpdir(), 'fleet-accounts-'));
  try {
    const file = join(dir, 'accounts.json');
    const out = new Sink();
    assert.equal(await main(['fleet', '--devices', '4', '--write-accounts', file], out as never, out as never), 0, out.text);
    assert.match(out.text, /4 account\(s\) for 4 devices written/);
    const lab = await startLab({ catalog: exampleCatalog(), devices: labDevices(file, undefined, undefined) });
    try {
      const run = new Sink();
      const code = await main(['fleet', '--devices', '4', '--server', lab.dmUrl, '--json'], run as never, run as never);
      assert.equal(code, 0, run.text);
      assert.equal(JSON.parse(run.text).ok, 4);
      assert.deepEqual(
        lab.server
          .deployments()
          .map((d) => d.devId)
          .sort(),
        [0, 1, 2, 3].map((i) => `IMEI:493005100592800-${i}`),
      );
    } finally {
      await lab.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fleet in process with a server credential in the template: the lab authenticates to each device with that device's own", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-srv-'));
  try {
    const t = template();
    t.account.serverAuth = { type: 'md5', username: 'labserver', password: 'srvpass' };
    const file = join(dir, 'device.json');
    writeFileSync(file, JSON.stringify(t));
    for (const accounts of ['per-device', 'shared']) {
      const out = new Sink();
      const code = await main(
        ['fleet', '--devices', '3', '--server', 'inproc', '--device', file, '--accounts', accounts, '--json'],
        out as never,
        out as never,
      );
      assert.equal(code, 0, out.text);
      assert.equal(JSON.parse(out.text).ok, 3, accounts);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fleet on schedules: every device checks when its own schedule says (interval, jitter), and backs off after a failure', async () => {
  // One simulated minute is 200 ms: interval 1 min, jitter up to 1 min; back-off 2 min, then 4 (the cap).
  const t = template();
  t.schedule = { intervalMinutes: 1, jitterMinutes: 1, backoffMinutes: 2, backoffCapMinutes: 4 };
  const lab = await startLab({ catalog: exampleCatalog(), devices: parseDevices(fleetAccounts(t, 10, 'per-device')) });
  const MIN = 60000;
  // A timer that fires late on a loaded machine moves a check by its lateness, scaled: up to 200 ms allowed.
  const slack = 1 * MIN;
  try {
    const runs: FleetRunRecord[] = [];
    const s = await runFleet({
      template: t,
      devices: 10,
      sessionsPerDevice: 2,
      concurrency: 1,
      rampSeconds: 0,
      trigger: 'schedule',
      speed: 300,
      encoding: 'xml',
      target: { kind: 'inproc', server: lab.server, url: lab.dmUrl },
      onRun: (r) => runs.push(r),
    });
    assert.equal(s.ok, 20, JSON.stringify(s.failures));
    assert.equal(s.dmSessions, 30, 'the first check of each device installs its update and reports it');
    assert.ok(
      s.schedule && s.schedule.speed === 300 && s.schedule.simulatedMinutes >= 2,
      's.schedule && s.schedule.speed === 300 && s.schedule.simulatedMinutes >= 2',
    );
    for (let d = 0; d < 10; d++) {
      const [first, second] = runs.filter((r) => r.device === d);
      assert.ok(first && second, `device ${d} ran twice`);
      // First boot: due after the interval plus the jitter.
      assert.ok(first.startMs >= 1 * MIN && first.startMs <= 2 * MIN + slack, `device ${d} first check at ${first.startMs} ms`);
      assert.ok(
        second.startMs - first.endMs >= 1 * MIN && second.startMs - first.endMs <= 2 * MIN + slack,
        `device ${d} second check ${second.startMs - first.endMs} ms after the first`,
      );
    }
    // The jitter spreads the fleet: ten uniform draws over a minute all within 12 s of each other is a 1-in-10^8 event.
    const firsts = runs.filter((_, i) => i < 10).map((r) => r.startMs);
    assert.ok(Math.max(...firsts) - Math.min(...firsts) > 0.2 * MIN, `first checks at ${firsts.join(', ')}`);
    assert.ok(s.peakInFlight >= 1, 's.peakInFlight >= 1');
  } finally {
    await lab.close();
  }

  // No server: each device's checks fail, and its schedule retries after 2 then 4 simulated minutes (plus jitter).
  const runs: FleetRunRecord[] = [];
  const down = await runFleet({
    template: t,
    devices: 3,
    sessionsPerDevice: 3,
    concurrency: 1,
    rampSeconds: 0,
    trigger: 'schedule',
    speed: 300,
    encoding: 'xml',
    target: { kind: 'http', url: 'http://127.0.0.1:9/dm' },
    onRun: (r) => runs.push(r),
  });
  assert.equal(down.failed, 9);
  assert.match(Object.keys(down.failures).join(), /DM_ERR_TRANSPORT/);
  for (let d = 0; d < 3; d++) {
    const [a, b, c] = runs.filter((r) => r.device === d);
    assert.ok(a && b && c, 'a && b && c');
    assert.ok(
      b.startMs - a.endMs >= 2 * MIN && b.startMs - a.endMs <= 3 * MIN + slack,
      `device ${d}: first retry ${b.startMs - a.endMs} ms after`,
    );
    assert.ok(
      c.startMs - b.endMs >= 4 * MIN && c.startMs - b.endMs <= 5 * MIN + slack,
      `device ${d}: second retry ${c.startMs - b.endMs} ms after`,
    );
  }
});

test('fleet CLI: --trigger schedule needs a template schedule, takes no --concurrency or --ramp; --speed only with it', async () => {
  const out = new Sink();
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-'));
  try {
    const bare = join(dir, 'bare.json');
    const t = template();
    delete t.schedule;
    writeFileSync(bare, JSON.stringify(t));
    const usage = async (args: string[], re: RegExp) => {
      out.text = '';
      assert.equal(
        await main(['fleet', '--devices', '2', '--server', 'inproc', ...args], out as never, out as never),
        2,
        `${args.join(' ')}: ${out.text}`,
      );
      assert.match(out.text, re);
    };
    await usage(['--trigger', 'schedule', '--device', bare], /needs a device template with a "schedule"/);
    await usage(['--trigger', 'schedule', '--concurrency', '4'], /--concurrency does not apply to --trigger schedule/);
    await usage(['--trigger', 'schedule', '--ramp', '3'], /--ramp does not apply/);
    await usage(['--speed', '10'], /--speed applies to --trigger schedule only/);
    await usage(['--trigger', 'schedule', '--speed', '0'], /--speed must be a number > 0/);
    await usage(['--trigger', 'schedule', '--speed', 'fast'], /--speed must be a number > 0/);
    await usage(['--accounts', 'some'], /--accounts must be one of per-device\|shared/);
    await usage(['--sessions', '0'], /--sessions must be at least 1, not 0/);
    await usage(['--concurrency', '0'], /--concurrency must be at least 1, not 0/);
    out.text = '';
    assert.equal(await main(['fleet', '--devices', '2', '--server', 'ftp://x'], out as never, out as never), 2, out.text);
    assert.match(out.text, /--server must be an http:\/\/ or https:\/\/ URL with --transport http, not 'ftp:\/\/x'/);
    out.text = '';
    assert.equal(
      await main(
        ['fleet', '--devices', '2', '--server', 'mqtt://dm', '--transport', 'mqtt', '--broker', 'http://b'],
        out as never,
        out as never,
      ),
      2,
      out.text,
    );
    assert.match(out.text, /--broker must be an mqtt:\/\/ or mqtts:\/\/ URL/);
    // In text, a schedule run says first when the first checks come, and ends with what the schedules did.
    // The schedules run on real time scaled up, so "no warning" needs a session well under a tenth of the
    // interval: at 60× that is 100 ms of real time, which a loaded slow machine still meets (at 600× it was
    // 10 ms, and a session took 13 ms on a loaded 2-core machine).
    const quick = join(dir, 'quick.json');
    writeFileSync(quick, JSON.stringify({ ...template(), schedule: { intervalMinutes: 1, jitterMinutes: 1 } }));
    out.text = '';
    assert.equal(
      await main(
        ['fleet', '--devices', '2', '--server', 'inproc', '--device', quick, '--trigger', 'schedule', '--speed', '60'],
        out as never,
        out as never,
      ),
      0,
      out.text,
    );
    assert.match(
      out.text,
      /^2 devices on their schedules at 60× real time: first checks due 1–2 simulated minutes from now \(1\.0 s–2\.0 s\)\n2 devices, 2 sessions/,
    );
    assert.match(
      out.text,
      /\nschedules: \d+ simulated minutes at 60× real time; busiest simulated minute: [12] checks started; a session's median is [\d.]+ simulated minutes\n/,
    );
    assert.doesNotMatch(out.text, /warning/);
    // So fast that a session (some ms) lasts simulated minutes: the schedules ran late, and the summary says so.
    out.text = '';
    assert.equal(
      await main(
        ['fleet', '--devices', '2', '--server', 'inproc', '--device', quick, '--trigger', 'schedule', '--speed', '600000'],
        out as never,
        out as never,
      ),
      0,
      out.text,
    );
    assert.match(out.text, /\n {2}warning: that is over a tenth of the 1-minute interval, so the schedules ran late; a lower --speed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a factory nonce the server shares saves each device its first 401; a stale one costs that 401 and no more', async () => {
  const nonce = Buffer.from('factory-nonce-01').toString('base64');
  const lab = await startLab({
    catalog: exampleCatalog(),
    devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5', nonce }]),
  });
  try {
    const run = async (deviceNonce: string, first: number) => {
      const t = template();
      t.devInfo.devId = `IMEI:${first}`;
      t.account.auth.nonce = deviceNonce;
      return runFleet({
        template: t,
        devices: 4,
        accounts: 'shared',
        sessionsPerDevice: 1,
        concurrency: 4,
        rampSeconds: 0,
        trigger: 'device',
        encoding: 'xml',
        target: { kind: 'inproc', server: lab.server, url: lab.dmUrl },
      });
    };
    const shared = await run(nonce, 1);
    assert.equal(shared.ok, 4, JSON.stringify(shared.failures));
    // Check, inventory, deployment and end of session, then the result report: no challenge in between.
    assert.equal(shared.roundTrips, 4 * 4);
    const stale = await run(Buffer.from('some-other-nonce').toString('base64'), 2);
    assert.equal(stale.ok, 4, JSON.stringify(stale.failures));
    assert.equal(stale.roundTrips, 4 * 5, 'one 401 with a new nonce, then the same run');
    assert.deepEqual(lab.server.deviations(), []);
  } finally {
    await lab.close();
  }
});

test('fleet against a server that is not there: failures counted by cause, exit 1', async () => {
  const out = new Sink();
  const code = await main(['fleet', '--devices', '3', '--server', 'http://127.0.0.1:9/dm'], out as never, out as never);
  assert.equal(code, 1);
  assert.match(out.text, /3 failed/);
  assert.match(out.text, /failed ×3: DM_ERR_TRANSPORT/);
});

test('fleet against a closed port: the cause names the address it could not reach, and no DM session is counted on the server', async () => {
  const port = await freePort();
  const out = new Sink();
  const code = await main(['fleet', '--devices', '3', '--server', `http://127.0.0.1:${port}/dm`], out as never, out as never);
  assert.equal(code, 1, out.text);
  assert.ok(out.text.includes(`failed ×3: DM_ERR_TRANSPORT: no reply from http://127.0.0.1:${port}/dm: `), out.text);
  assert.ok(out.text.includes(`connect ECONNREFUSED 127.0.0.1:${port}`), out.text);
  assert.match(out.text, /^0 DM sessions on the server/m);
});

test('failure causes group with the numbers that vary per device masked, and addresses and ports kept', () => {
  assert.equal(
    causeGroup('no reply from http://10.0.0.2:8080/dm: connect ECONNREFUSED 10.0.0.2:8080'),
    'no reply from http://10.0.0.2:8080/dm: connect ECONNREFUSED 10.0.0.2:8080',
  );
  assert.equal(causeGroup('connect ECONNREFUSED ::1:1883'), 'connect ECONNREFUSED ::1:1883');
  assert.equal(
    causeGroup('no reply from mqtt://[::1]:1883, topic dm/IMEI:4930-7/up'),
    'no reply from mqtt://[::1]:1883, topic dm/IMEI:N-N/up',
  );
  assert.equal(causeGroup('broker.example.com:8883 closed at MsgID 12'), 'broker.example.com:8883 closed at MsgID N');
  assert.equal(causeGroup('status 401 for MsgID 3, nonce 88'), causeGroup('status 401 for MsgID 4, nonce 91'));
});

test('a lab server left running keeps its newest historyLimit outcomes and deployments, counts all, and each result finds its deployment', async () => {
  const devices = 8;
  const lab = await startLab({
    catalog: exampleCatalog(),
    devices: parseDevices(fleetAccounts(template(), devices, 'per-device')),
    historyLimit: 3,
  });
  try {
    const s = await runFleet({
      template: template(),
      devices,
      sessionsPerDevice: 1,
      concurrency: 4,
      rampSeconds: 0,
      trigger: 'device',
      encoding: 'xml',
      target: { kind: 'inproc', server: lab.server, url: lab.dmUrl },
    });
    assert.equal(s.ok, devices);
    const totals = lab.server.totals();
    assert.equal(totals.deployments, devices, 'one update per device');
    assert.equal(totals.outcomes, devices);
    assert.equal(lab.server.outcomes().length, 3);
    assert.equal(lab.server.deployments().length, 3);
    // Each device's result alert found the deployment it reports on, by that device's Correlator.
    assert.ok(
      lab.server.outcomes().every((o) => o.deployment?.state === 'completed' && o.deployment.devId === o.devId),
      "each outcome has its own device's completed deployment",
    );
    assert.deepEqual(lab.server.deviations(), []);
  } finally {
    await lab.close();
  }
});

test('fleet --write-accounts is bounded: the table is written an entry at a time, as JSON.stringify writes it; too many devices is a usage error at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-accounts-'));
  try {
    const file = join(dir, 'accounts.json');
    for (const accounts of ['per-device', 'shared'] as const) {
      const out = new Sink();
      assert.equal(
        await main(['fleet', '--devices', '2000', '--accounts', accounts, '--write-accounts', file], out as never, out as never),
        0,
        out.text,
      );
      assert.equal(readFileSync(file, 'utf8'), `${JSON.stringify(fleetAccounts(template(), 2000, accounts), null, 1)}\n`, accounts);
    }
    const err = new Sink();
    assert.equal(
      await main(['fleet', '--devices', '100000000', '--write-accounts', join(dir, 'big.json')], new Sink() as never, err as never),
      2,
    );
    assert.match(err.text, /--devices must be at most 1000000, not 100000000/);
    assert.equal(existsSync(join(dir, 'big.json')), false, 'nothing written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
