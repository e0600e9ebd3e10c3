// `dm-agent run` against the real lab server on loopback, over HTTP and MQTT, with files for state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lab/cli.js';
import { startLab } from '../../lab/server/lab.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadScenario } from '../../lab/server/scenario.js';
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

async function run(args: string[]) {
  const out = new Sink();
  const code = await main(['run', ...args], out as never, out as never);
  return { code, text: out.text };
}

async function lab(password = 'dmpass', mqtt = false, prefix?: string) {
  return startLab({
    catalog: exampleCatalog(),
    devices: parseDevices([{ username: 'dmuser', password, auth: 'md5' }]),
    ...(mqtt ? { mqtt: 'embedded' } : {}),
    ...(prefix ? { prefix } : {}),
  });
}

test('run: a user check with confirm and update over HTTP and MQTT, XML and WBXML; state, trace and inventory persist', async () => {
  const l = await lab('dmpass', true);
  try {
    for (const transport of ['http', 'mqtt']) {
      for (const encoding of ['xml', 'wbxml']) {
        const dir = mkdtempSync(join(tmpdir(), 'run-'));
        writeFileSync(join(dir, 'answers'), '# consent\nyes\n');
        const r = await run([
          '--device',
          device,
          '--server',
          l.dmUrl,
          '--transport',
          transport,
          '--broker',
          l.brokerUrl!,
          '--encoding',
          encoding,
          '--trigger',
          'user',
          '--component',
          'app1',
          '--answers',
          join(dir, 'answers'),
          '--trace',
          join(dir, 'trace.xml'),
          '--state',
          join(dir, 'state'),
        ]);
        assert.equal(r.code, 0, r.text);
        assert.match(r.text, /session ended well: 2 session\(s\), 6 round trips/, `${transport} ${encoding}`);
        assert.match(r.text, /0 alert\(s\) still queued/);
        assert.match(r.text, /deployed: Weather 2\.0, Sensor driver 1\.4/);
        assert.match(r.text, /\(user: yes\)/);
        const trace = readFileSync(join(dir, 'trace.xml'), 'utf8');
        assert.match(trace, /── device → http:\/\/127\.0\.0\.1:\d+\/dm/);
        assert.match(trace, /UpdateUserRequest/);
        assert.match(trace, /OperationComplete/);
        assert.match(readFileSync(join(dir, 'state', 'components', 'installed'), 'utf8'), /"version":"2\.0"/);
        // The same state again: nothing left to update, one session, no deployment.
        const again = await run([
          '--device',
          device,
          '--server',
          l.dmUrl,
          '--transport',
          transport,
          '--broker',
          l.brokerUrl!,
          '--encoding',
          encoding,
          '--trigger',
          'device',
          '--component',
          'app1',
          '--state',
          join(dir, 'state'),
        ]);
        assert.equal(again.code, 0, again.text);
        assert.match(again.text, /session ended well: 1 session\(s\)/);
      }
    }
    assert.deepEqual(
      l.server.outcomes().map((o) => o.resultCode),
      [1200, 1200, 1200, 1200],
    );
    assert.deepEqual(l.server.deviations(), []);
  } finally {
    await l.close();
  }
});

test('run: wrong password — challenged, then a real failure (exit 1) with the alert still queued', async () => {
  const l = await lab('other');
  try {
    const dir = mkdtempSync(join(tmpdir(), 'run-'));
    const r = await run(['--device', device, '--server', l.dmUrl, '--trigger', 'device', '--state', join(dir, 'state')]);
    assert.equal(r.code, 1);
    assert.match(r.text, /DM_ERR_AUTH/);
    assert.match(r.text, /1 alert\(s\) still queued/);
    assert.match(readFileSync(join(dir, 'state', 'agent', 'alerts'), 'utf8'), /UpdateDeviceRequest/);
  } finally {
    await l.close();
  }
});

test('run: server unreachable — clean failure, the alert kept in the state dir for the next run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-'));
  const r = await run(['--device', device, '--server', 'http://127.0.0.1:9/dm', '--trigger', 'device', '--state', join(dir, 'state')]);
  assert.equal(r.code, 1);
  assert.match(r.text, /DM_ERR_TRANSPORT/);
  assert.match(readFileSync(join(dir, 'state', 'agent', 'alerts'), 'utf8'), /UpdateDeviceRequest/);
});

test('run --trace FILE that cannot be written: refused before the device starts (exit 1), naming the file; nothing queued or sent', async () => {
  const l = await lab();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'run-'));
    for (const [trace, reason] of [
      [join(dir, 'no-such-dir', 'trace.xml'), /ENOENT/],
      [dir, /EISDIR/],
    ] as const) {
      const r = await run(['--device', device, '--server', l.dmUrl, '--trigger', 'user', '--state', join(dir, 'state'), '--trace', trace]);
      assert.equal(r.code, 1, r.text);
      assert.ok(r.text.includes(`dm-agent run: cannot write the trace to ${trace}: `), r.text);
      assert.match(r.text, reason);
      assert.doesNotMatch(r.text, /DM_ERR_TRANSPORT|alert\(s\) still queued/);
      assert.equal(existsSync(join(dir, 'state')), false, 'no state folder made, no alert queued');
    }
    assert.equal(l.server.totals().sessions, 0, 'nothing reached the server');
  } finally {
    await l.close();
  }
});

test('run: usage errors exit 2 with the reason', async () => {
  assert.equal(await main(['run', '--device', device], new Sink() as never, new Sink() as never), 2);
  const err = new Sink();
  assert.equal(await main(['run', '--device', device, '--trigger', 'user', '--log', 'loud'], new Sink() as never, err as never), 2);
  assert.match(err.text, /--log must be one of/);
  // A server address the transport cannot reach is refused before the device's state is touched.
  const dir = mkdtempSync(join(tmpdir(), 'run-'));
  const bad = new Sink();
  assert.equal(
    await main(
      ['run', '--device', device, '--trigger', 'user', '--server', 'ftp://x', '--state', join(dir, 'state')],
      bad as never,
      bad as never,
    ),
    2,
  );
  assert.match(bad.text, /--server must be an http:\/\/ or https:\/\/ URL with --transport http, not 'ftp:\/\/x'/);
  assert.equal(existsSync(join(dir, 'state')), false, 'no state written');
  const mq = new Sink();
  assert.equal(await main(['run', '--device', device, '--trigger', 'user', '--transport', 'mqtt'], mq as never, mq as never), 1);
  assert.match(mq.text, /MQTT needs a broker/);
});

test('run --server with a state folder made for another server: the given server is used, and the log says it replaces the stored one', async () => {
  const first = await lab();
  const second = await lab();
  try {
    const state = join(mkdtempSync(join(tmpdir(), 'run-')), 'state');
    const a = await run(['--device', device, '--server', first.dmUrl, '--trigger', 'device', '--state', state]);
    assert.equal(a.code, 0, a.text);
    await first.close();
    const b = await run(['--device', device, '--server', second.dmUrl, '--trigger', 'device', '--state', state, '--log', 'info']);
    assert.equal(b.code, 0, b.text);
    assert.ok(b.text.includes(`server address ${second.dmUrl} (given) replaces ${first.dmUrl} (stored in the device's tree)`), b.text);
    assert.equal(second.server.totals().devices, 1, 'the second server saw the device');
    // Given again, nothing to replace: no such line.
    const c = await run(['--device', device, '--server', second.dmUrl, '--trigger', 'device', '--state', state, '--log', 'info']);
    assert.equal(c.code, 0, c.text);
    assert.ok(!c.text.includes('(given) replaces'), c.text);
  } finally {
    await first.close().catch(() => undefined);
    await second.close();
  }
});

test('run with a state folder whose account differs from the device file (a password edited since): the stored one is used, and a warning says so', async () => {
  const l = await lab();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'run-'));
    const state = join(dir, 'state');
    const a = await run(['--device', device, '--server', l.dmUrl, '--trigger', 'device', '--state', state]);
    assert.equal(a.code, 0, a.text);
    assert.ok(!a.text.includes('stored account differs'), a.text);
    const again = await run(['--device', device, '--server', l.dmUrl, '--trigger', 'device', '--state', state]);
    assert.ok(!again.text.includes('stored account differs'), 'the same file: nothing to say');
    const edited = JSON.parse(readFileSync(device, 'utf8'));
    edited.account.auth.password = 'new-secret';
    edited.account.auth.username = 'someone';
    writeFileSync(join(dir, 'device.json'), JSON.stringify(edited));
    const b = await run(['--device', join(dir, 'device.json'), '--server', l.dmUrl, '--trigger', 'device', '--state', state]);
    assert.equal(b.code, 0, 'the stored account still works with this server');
    assert.match(
      b.text,
      /WARN.*the device's stored account differs from its description: user dmuser \(file: someone\), password\. The stored one is used/,
    );
    assert.ok(!b.text.includes('new-secret'), 'no password in the log');
  } finally {
    await l.close();
  }
});

test('run --prefix: over MQTT the device uses the topic prefix the server serves (serve --prefix)', async () => {
  const l = await lab('dmpass', true, 'lab1');
  try {
    const dir = mkdtempSync(join(tmpdir(), 'run-'));
    const r = await run([
      '--device',
      device,
      '--server',
      l.dmUrl,
      '--transport',
      'mqtt',
      '--broker',
      l.brokerUrl!,
      '--prefix',
      'lab1',
      '--trigger',
      'device',
      '--state',
      join(dir, 'state'),
    ]);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /session ended well: 2 session\(s\)/);
    assert.equal(l.server.device('IMEI:493005100592800')!.sessions, 2, 'the server heard the device on lab1/dm/…');
  } finally {
    await l.close();
  }
});

test('run: an update that fails (1407, a wrong checksum) exits 3; --json gives the outcome as one object on stdout', async () => {
  const l = await startLab({
    catalog: exampleCatalog(),
    devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]),
    scenario: loadScenario(join(repoRoot, 'lab/examples/scenario-bad-package.json')),
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'run-'));
    writeFileSync(join(dir, 'answers'), 'yes\n');
    const out = new Sink();
    const err = new Sink();
    const code = await main(
      [
        'run',
        '--device',
        device,
        '--server',
        l.dmUrl,
        '--trigger',
        'user',
        '--component',
        'app1',
        '--answers',
        join(dir, 'answers'),
        '--state',
        join(dir, 'state'),
        '--json',
      ],
      out as never,
      err as never,
    );
    assert.equal(code, 3, out.text + err.text);
    const lines = out.text.trim().split('\n');
    assert.equal(lines.length, 1, `stdout holds the JSON object only: ${out.text}`);
    const j = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(j.exit, 3);
    assert.equal(j.reason, 'update-failed');
    assert.equal(j.sessions, 2);
    assert.deepEqual(
      (j.scomo as { resultCode: number; ok: boolean }[]).map((s) => [s.resultCode, s.ok]),
      [[1407, false]],
    );
    assert.ok(
      (j.alertsSent as { type: string }[]).some((a) => a.type.endsWith('OperationComplete')),
      'the result alert was sent',
    );
    assert.deepEqual(j.alertsQueued, []);
    assert.deepEqual(j.stoppedJobs, []);
    assert.deepEqual(j.deployed, [
      { name: 'Weather', version: '1.0' },
      { name: 'Sensor driver', version: '1.4' },
    ]);
    assert.match(err.text, /\(user: yes\)/, 'the screens go to stderr');
    // Without --json the same outcome is said in words.
    writeFileSync(join(dir, 'answers'), 'yes\n');
    const words = await run([
      '--device',
      device,
      '--server',
      l.dmUrl,
      '--trigger',
      'user',
      '--component',
      'app1',
      '--answers',
      join(dir, 'answers'),
      '--state',
      join(dir, 'state2'),
    ]);
    assert.equal(words.code, 3, words.text);
    assert.match(words.text, /update failed: SCOMO result 1407/);
  } finally {
    await l.close();
  }
});

test('run: a state folder another live process holds is refused (exit 4) before anything is sent; a stale lock is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-'));
  mkdirSync(join(dir, 'state'), { recursive: true });
  writeFileSync(join(dir, 'state', 'lock'), `${process.ppid}\n`);
  const r = await run(['--device', device, '--server', 'http://127.0.0.1:9/dm', '--trigger', 'device', '--state', join(dir, 'state')]);
  assert.equal(r.code, 4, r.text);
  assert.match(r.text, new RegExp(`state folder .* is in use by process ${process.ppid}`));
  assert.equal(existsSync(join(dir, 'state', 'agent')), false, 'the folder is not touched');
  const out = new Sink();
  assert.equal(
    await main(
      ['run', '--device', device, '--server', 'http://127.0.0.1:9/dm', '--trigger', 'device', '--state', join(dir, 'state'), '--json'],
      out as never,
      new Sink() as never,
    ),
    4,
  );
  assert.deepEqual({ ...JSON.parse(out.text), error: undefined }, { exit: 4, reason: 'state-in-use', error: undefined }, out.text);
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(join(dir, 'state', 'lock'), `${gone}\n`);
  const again = await run(['--device', device, '--server', 'http://127.0.0.1:9/dm', '--trigger', 'device', '--state', join(dir, 'state')]);
  assert.equal(again.code, 1, again.text);
  assert.match(again.text, /DM_ERR_TRANSPORT/, 'the run went ahead');
  assert.equal(existsSync(join(dir, 'state', 'lock')), false, 'and gave the folder back');
});

test('run: an answer that does not fit its screen (pick on a yes/no screen) stops the run, exit 5; nothing is decided', async () => {
  const l = await lab();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'run-'));
    writeFileSync(join(dir, 'answers'), 'pick:2\n');
    const r = await run([
      '--device',
      device,
      '--server',
      l.dmUrl,
      '--trigger',
      'user',
      '--component',
      'app1',
      '--answers',
      join(dir, 'answers'),
      '--state',
      join(dir, 'state'),
    ]);
    assert.equal(r.code, 5, r.text);
    assert.match(r.text, /answer 'pick:2' does not fit the screen "Please confirm"/);
    assert.doesNotMatch(r.text, /\(user: pick:2\)/);
    assert.match(r.text, /deployed: Weather 1\.0/);
    assert.deepEqual(l.server.outcomes(), [], 'no deployment, no result');
  } finally {
    await l.close();
  }
});

test("run with no answers meets a confirm: it says so at once and answers as the timeout rules say (the server's default)", async () => {
  const l = await lab();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'run-'));
    const r = await run([
      '--device',
      device,
      '--server',
      l.dmUrl,
      '--trigger',
      'user',
      '--component',
      'app1',
      '--state',
      join(dir, 'state'),
    ]);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /nobody to answer this screen: no --answers left and no keys/);
    // The lab's confirm carries MAXDT=60&DR=0: its default is no, so the update is postponed, without the 60 s.
    assert.match(r.text, /Update postponed/);
    assert.match(r.text, /deployed: Weather 1\.0/);
    assert.deepEqual(l.server.outcomes(), []);
  } finally {
    await l.close();
  }
});
