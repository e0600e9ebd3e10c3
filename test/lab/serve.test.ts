import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { main } from '../../lab/cli.js';
import { serveSummary } from '../../lab/commands/serve.js';
import { runFleet } from '../../lab/fleet/fleet.js';
import { fleetAccounts } from '../../lab/fleet/accounts.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadDevice } from '../../lab/commands/common.js';
import { exchange, devMsg, exampleCatalog, makeServer, pkg1Body, PKG_BASE, SERVER_URI } from './server/fixtures.js';
import { LabDmServer } from '../../lab/server/dm-server.js';
import { InprocPackages } from '../../lab/fleet/inproc-packages.js';
import { repoRoot } from '../helpers/peers.js';

test('the summary serve prints when it stops: sessions, devices, updates and results, no deviation', async () => {
  const template = loadDevice(join(repoRoot, 'lab/examples/device.json'));
  const server = new LabDmServer({
    catalog: exampleCatalog(),
    devices: parseDevices(fleetAccounts(template, 3, 'per-device')),
    serverId: 'labserver',
    serverUri: SERVER_URI,
    packageBaseUrl: PKG_BASE,
  });
  const s = await runFleet({
    template,
    devices: 3,
    sessionsPerDevice: 1,
    concurrency: 3,
    rampSeconds: 0,
    trigger: 'device',
    encoding: 'xml',
    target: { kind: 'inproc', server, url: SERVER_URI, packages: new InprocPackages(exampleCatalog(), PKG_BASE) },
  });
  assert.equal(s.ok, 3);
  assert.equal(
    serveSummary(server),
    'lab DM server stopped: 6 DM session(s) from 3 authenticated device(s); 3 update(s) sent, 3 result(s) back (3 success, 0 failure); 0 UI answer(s)\nno protocol deviation\n',
  );
});

test('the summary gives the deviations by kind, numbers masked, most frequent first, and says when some are no longer kept', async () => {
  const { server } = makeServer({ historyLimit: 2 });
  // Three messages whose MsgID skips, in two sessions, then one first message that is not MsgID 1.
  for (const [sessionId, ids] of [
    ['1', [1, 3, 7]],
    ['2', [1, 4]],
    ['3', [5]],
  ] as const) {
    for (const msgId of ids) await exchange(server, devMsg({ sessionId, msgId, body: pkg1Body() }));
  }
  const text = serveSummary(server);
  assert.match(text, /^lab DM server stopped: 3 DM session\(s\) from 0 authenticated device\(s\); 0 update\(s\) sent/);
  assert.match(
    text,
    /\n4 protocol deviation\(s\) \(the last 2 kept\), by kind:\n {7}1 {2}MsgID N after N \(MsgIDs go up by one per message\)\n {7}1 {2}first message of the session has MsgID N, not N\n$/,
  );
});

test('serve: --mqtt is embedded or an mqtt(s):// URL, refused before anything starts', async () => {
  let text = '';
  const sink = {
    write: (s: string) => {
      text += s;
      return true;
    },
  };
  assert.equal(await main(['serve', '--http', '0', '--mqtt', 'http://broker'], sink as never, sink as never), 2);
  assert.match(text, /--mqtt must be embedded or an mqtt:\/\/ or mqtts:\/\/ URL, not 'http:\/\/broker'/);
});

test('serve: a --devices file that is not JSON, or not an accounts table, is named in the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serve-'));
  const check = async (content: string, re: RegExp) => {
    const file = join(dir, 'accounts.json');
    writeFileSync(file, content);
    let text = '';
    const sink = {
      write: (s: string) => {
        text += s;
        return true;
      },
    };
    assert.equal(await main(['serve', '--http', '0', '--devices', file], sink as never, sink as never), 1, text);
    assert.ok(text.includes(`dm-agent serve: ${file}: `), text);
    assert.match(text, re);
  };
  await check('notjson', /not a readable JSON accounts table/);
  await check('{"devices": 3}', /expected a list of accounts/);
});

test('serve: --tls-cert and --tls-key go together, and a file that cannot be read or used is named before anything listens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serve-tls-'));
  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'not a certificate\n');
  const run = async (args: string[]) => {
    let text = '';
    const sink = {
      write: (s: string) => {
        text += s;
        return true;
      },
    };
    const code = await main(['serve', '--http', '0', ...args], sink as never, sink as never);
    return { code, text };
  };
  let r = await run(['--tls-cert', notPem]);
  assert.equal(r.code, 2, r.text);
  assert.match(r.text, /--tls-cert and --tls-key go together: --tls-key is missing/);
  r = await run(['--tls-key', notPem]);
  assert.equal(r.code, 2, r.text);
  assert.match(r.text, /--tls-cert and --tls-key go together: --tls-cert is missing/);
  const missing = join(dir, 'no-such.key');
  r = await run(['--tls-cert', notPem, '--tls-key', missing]);
  assert.equal(r.code, 1, r.text);
  assert.ok(r.text.includes(`--tls-key ${missing}: cannot read the private key (ENOENT`), r.text);
  r = await run(['--tls-cert', notPem, '--tls-key', notPem]);
  assert.equal(r.code, 1, r.text);
  assert.ok(r.text.includes(`--tls-cert ${notPem} with --tls-key ${notPem}: not a PEM certificate and its private key (`), r.text);
});
