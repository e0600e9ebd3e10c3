// `dm-agent state`: a device's state folder, read without changing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lab/cli.js';
import { startNodeDevice } from '../../platform/node/node-device.js';
import { loadDevice } from '../../lab/commands/common.js';
import { repoRoot } from '../helpers/peers.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

/** Every file under dir with its size, modification time and content, to show nothing changed. */
function snapshot(dir: string): string[] {
  const rows: string[] = [];
  const todo = [dir];
  while (todo.length) {
    const d = todo.pop()!;
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) todo.push(p);
      else rows.push(`${p} ${st.size} ${st.mtimeMs} ${readFileSync(p, 'utf8')}`);
    }
  }
  return rows;
}

async function state(args: string[]) {
  const out = new Sink();
  const err = new Sink();
  const code = await main(['state', ...args], out as never, err as never);
  return { code, out: out.text, err: err.text };
}

test('state prints the tree with ACLs and formats, the queued alerts, the SCOMO jobs and the components, and changes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-'));
  const dev = await startNodeDevice({ desc: loadDevice(join(repoRoot, 'lab/examples/device.json')), stateDir: dir });
  dev.agent.requestUpdate('device');
  await dev.close();
  const before = snapshot(dir);

  const all = await state(['--state', dir]);
  assert.equal(all.code, 0, all.err);
  assert.match(all.out, /^tree \(\d+\):\n {2}\. {2}node/);
  assert.match(all.out, /\n {2}\.\/DevInfo {2}node {2}acl=Get=\*\n {2}\.\/DevInfo\/DevId {2}chr {2}= IMEI:493005100592800\n/);
  assert.match(all.out, /\nqueue \(1\):\n {2}\S+ {2}urn:oma:at:scomo:1\.1:UpdateDeviceRequest/);
  assert.match(all.out, /\njobs \(0\):\n {2}\(none\)\n/);
  assert.match(all.out, /\ncomponents \(2\):\n {2}Weather 1\.0 {2}com\.example\.weather {2}active\n/);

  const json = await state(['--state', dir, '--json']);
  const j = JSON.parse(json.out) as {
    tree: { path: string; acl?: string; format: string }[];
    queue: { type: string }[];
    jobs: unknown[];
    components: { name: string }[];
  };
  assert.ok(
    j.tree.some((n) => n.path === './DevInfo' && n.format === 'node' && n.acl === 'Get=*'),
    'the tree has DevInfo with its ACL',
  );
  assert.ok(
    j.tree.some((n) => n.path === './DevInfo/DevId' && n.format === 'chr'),
    'and DevId with its format',
  );
  assert.deepEqual(
    j.queue.map((a) => a.type),
    ['urn:oma:at:scomo:1.1:UpdateDeviceRequest'],
  );
  assert.deepEqual(j.jobs, []);
  assert.deepEqual(j.components.map((c) => c.name).sort(), ['Sensor driver', 'Weather']);
  const queue = await state(['--state', dir, 'queue', '--json']);
  assert.deepEqual((JSON.parse(queue.out) as unknown[]).length, 1, 'one part alone is that part');

  assert.deepEqual(snapshot(dir), before, 'the folder is as it was');
});

test('state names a file it cannot read, and still changes nothing; a missing folder or an unknown part is an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-'));
  await (await startNodeDevice({ desc: loadDevice(join(repoRoot, 'lab/examples/device.json')), stateDir: dir })).close();
  writeFileSync(join(dir, 'components', 'installed'), '');
  const before = snapshot(dir);
  const r = await state(['--state', dir, 'components']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`${join(dir, 'components', 'installed')}: unreadable component list`));
  assert.deepEqual(snapshot(dir), before, 'no recovery is written');
  assert.equal((await state(['--state', join(dir, 'nope')])).code, 1);
  const bad = await state(['--state', dir, 'trees']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /WHAT must be one of tree, queue, jobs, components, not 'trees'/);
});
