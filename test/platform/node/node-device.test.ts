// The Node device's state folder: one process at a time (a lock), and files that cannot be read named in the
// log, kept aside and rebuilt rather than failing every later boot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateInUseError, lockStateDir, startNodeDevice } from '../../../platform/node/node-device.js';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
import { listDeployed } from '../../../agent/scomo/subtree.js';
import type { Log, LogLevel } from '../../../agent/ports.js';
import { repoRoot } from '../../helpers/peers.js';

const desc = () => parseDeviceDescription(JSON.parse(readFileSync(join(repoRoot, 'lab/examples/device.json'), 'utf8')));
class Lines implements Log {
  lines: string[] = [];
  log(level: LogLevel, m: string) {
    this.lines.push(`${level} ${m}`);
  }
}

/** A pid that no process has: a child that has already ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

test('a state folder is held by one device at a time: a second is refused with a clear message, and it is free again after close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const first = await startNodeDevice({ desc: desc(), stateDir: dir });
  try {
    await assert.rejects(
      startNodeDevice({ desc: desc(), stateDir: dir }),
      (e: unknown) => e instanceof StateInUseError && e.message.includes(`in use by process ${process.pid}`) && e.message.includes(dir),
    );
  } finally {
    await first.close();
  }
  assert.ok(!existsSync(join(dir, 'lock')), 'close gives the folder back');
  const second = await startNodeDevice({ desc: desc(), stateDir: dir });
  await second.close();
});

test('a lock left by a process that is gone is taken over', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  writeFileSync(join(dir, 'lock'), `${deadPid()}\n`);
  const release = lockStateDir(dir);
  assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), `${process.pid}\n`, 'the lock now names this process');
  release();
});

test('a lock held by another live process refuses this one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  writeFileSync(join(dir, 'lock'), `${process.ppid}\n`);
  assert.throws(
    () => lockStateDir(dir),
    (e: unknown) => e instanceof StateInUseError && e.message.includes(`process ${process.ppid}`),
  );
  assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), `${process.ppid}\n`, 'the other process keeps its lock');
});

test('an empty components/installed is named in the log, kept aside and rebuilt; the next boot is clean', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inst-'));
  await (await startNodeDevice({ desc: desc(), stateDir: dir })).close();
  writeFileSync(join(dir, 'components', 'installed'), '');
  const log = new Lines();
  const dev = await startNodeDevice({ desc: desc(), stateDir: dir, log });
  try {
    assert.deepEqual(
      dev.installer
        .installed()
        .map((c) => c.id)
        .sort(),
      desc()
        .components.map((c) => c.id)
        .sort(),
      'the shipped components are back',
    );
    assert.ok(
      log.lines.some((l) => l.startsWith('warn') && l.includes(join(dir, 'components', 'installed')) && l.includes('installed.corrupt')),
      log.lines.join('\n'),
    );
    assert.ok(existsSync(join(dir, 'components', 'installed.corrupt')), 'the unreadable file is kept');
  } finally {
    await dev.close();
  }
  const again = new Lines();
  const dev2 = await startNodeDevice({ desc: desc(), stateDir: dir, log: again });
  await dev2.close();
  assert.ok(!again.lines.some((l) => l.includes('unreadable')), again.lines.join('\n'));
});

test('a stored tree that cannot be read is named in the log when it is seeded again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tree-'));
  mkdirSync(join(dir, 'agent'), { recursive: true });
  writeFileSync(join(dir, 'agent', 'tree'), '{"v":');
  const log = new Lines();
  const dev = await startNodeDevice({ desc: desc(), stateDir: dir, log });
  try {
    assert.ok(
      log.lines.some((l) => l.startsWith('warn') && l.includes(join(dir, 'agent', 'tree')) && l.includes('tree.corrupt')),
      log.lines.join('\n'),
    );
    assert.ok(listDeployed(dev.agent.tree).length > 0, 'the seeded tree has the deployed components');
  } finally {
    await dev.close();
  }
});

test('over MQTT the device gives the agent its transport endpoint, so that a failed session names the broker, not the DM server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'endpoint-'));
  const dev = await startNodeDevice({ desc: desc(), stateDir: dir, transport: 'mqtt', brokerUrl: 'mqtt://u:secret@127.0.0.1:1' });
  try {
    assert.equal(dev.transport.endpoint, 'mqtt://127.0.0.1:1, topic dm/IMEI_493005100592800/up');
  } finally {
    await dev.close();
  }
});
