// needShared: a test that uses ../shared skips with a NOTICE when the file is absent, and fails naming
// ../shared under DM_PEERS=required (as CI runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './peers.js';

function call(expr: string, required: boolean) {
  const env = { ...process.env };
  if (required) env.DM_PEERS = 'required';
  else delete env.DM_PEERS;
  const code = `import('./test/helpers/peers.ts').then((p) => { process.stdout.write(JSON.stringify(${expr})); })`;
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: repoRoot, env, encoding: 'utf8' });
}

test('a missing ../shared file is a skip with a NOTICE, and a failure naming ../shared when peers are required', () => {
  const optional = call("p.needShared('vectors/no-such-vector.xml')", false);
  assert.equal(optional.status, 0, optional.stderr);
  assert.match(JSON.parse(optional.stdout), /\.\.\/shared\/vectors\/no-such-vector\.xml is missing/);
  assert.match(optional.stderr, /NOTICE: \.\.\/shared\/vectors\/no-such-vector\.xml is missing/);
  const required = call("p.needShared('vectors/no-such-vector.xml')", true);
  assert.notEqual(required.status, 0, 'DM_PEERS=required fails');
  assert.match(required.stderr, /DM_PEERS=required but \.\.\/shared\/vectors\/no-such-vector\.xml is missing/);
});

test('a present ../shared file is no skip', {
  skip: call("p.needShared('tools/make-dm12-dtd.sh')", false).stdout !== 'false' && 'no ../shared here',
}, () => {
  assert.equal(call("p.needShared('tools/make-dm12-dtd.sh')", true).stdout, 'false');
});
