// The options the interop work added to `serve`: --server-cred now applies with --devices (it was silently
// ignored), and --strict turns the liberal reading of a device's clear-intent deviations into refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { labDevices } from '../../../lab/commands/common.js';
import { serveSpec } from '../../../lab/commands/serve.js';
import { parse, UsageError } from '../../../lab/args.js';

test('serve: --server-cred with --devices gives the accounts without a "server" of their own that credential', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'interop-')), 'devices.json');
  writeFileSync(
    file,
    JSON.stringify([
      { username: 'funambol', password: 'funambol', auth: 'md5', devId: 'DMCtest' },
      { username: 'own', password: 'p', server: { username: 'mine', password: 'q', auth: 'basic' } },
    ]),
  );
  const [libdm, own] = labDevices(file, undefined, 'funambol:srvpwd:md5');
  assert.deepEqual(libdm?.server, { username: 'funambol', password: 'srvpwd', auth: 'md5' }, 'it was ignored before');
  assert.deepEqual(own?.server, { username: 'mine', password: 'q', auth: 'basic' }, "an account's own server credential stays");
  assert.equal(labDevices(file, undefined, undefined)[0]?.server, undefined);
  assert.throws(
    () => labDevices(file, undefined, 'srv:pw:none'),
    (e: unknown) => e instanceof UsageError && /--server-cred/.test(e.message),
  );
});

test('serve: --strict is an option of its own, off unless given', () => {
  assert.equal(parse(serveSpec, ['--strict']).options.strict, true);
  assert.notEqual(parse(serveSpec, []).options.strict, true);
});
