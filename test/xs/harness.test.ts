// The XS harness itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;

test('a bundle that does not build fails the run at once, and leaves no worker that keeps the process alive', () => {
  // Before, the worker was started first and never closed when bundling threw: this process never ended.
  // The limit is only a backstop against that hang, far above what the run takes on any machine.
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'fixtures/run-broken.ts')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.signal, null, `the process ended by itself (stderr: ${r.stderr.slice(0, 300)})`);
  assert.equal(r.status, 0, r.stderr.slice(0, 300));
  assert.match(r.stdout, /^rejected: Build failed/m);
});
