// Interop of the lab server with a client nobody here wrote: libdmclient (Intel's OMA DM 1.2 client in C), as
// test/helpers/libdmclient-shaped.ts plays it (no LocName, DS media types, SessionID 1 in every session,
// nonces forgotten between sessions, statuses copied from its SyncHdr verdict while the server is not
// authenticated). The lab server must complete its sessions with basic and with MD5, in XML and WBXML,
// and flag what libdmclient does wrong with the rule it breaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLab } from '../../../lab/server/lab.js';
import { parseDevices, type DeviceAccount } from '../../../lab/server/auth.js';
import type { Encoding } from '../../../agent/syncml/codec.js';
import type { StatusCmd } from '../../../agent/syncml/model.js';
import { utf8Decode } from '../../../agent/util/bytes.js';
import {
  DS_XML,
  LIBDM_DEV_ID,
  type LibdmShapedOptions,
  postHttp,
  postTo,
  runLibdmShapedSession,
  type ShapedSession,
} from '../../helpers/libdmclient-shaped.js';
import { exampleCatalog, makeServer, SERVER_URI, USER_REQ } from './fixtures.js';

const SRV = { username: 'funambol', password: 'srvpwd' };
// Weather at the catalog's version: the update check ends "up to date", a complete session without a deployment.
const INVENTORY = {
  './SCOMO/Inventory/Deployed/w/ID': 'com.example.weather',
  './SCOMO/Inventory/Deployed/w/Name': 'Weather',
  './SCOMO/Inventory/Deployed/w/Version': '2.0',
};

function account(auth: 'basic' | 'md5', bound: boolean): DeviceAccount[] {
  return parseDevices([
    {
      username: 'funambol',
      password: 'funambol',
      auth,
      ...(bound ? { devId: LIBDM_DEV_ID } : {}),
      server: { ...SRV, auth: 'md5' },
    },
  ]);
}

function client(post: LibdmShapedOptions['post'], serverUri: string, auth: 'basic' | 'md5', encoding: Encoding): LibdmShapedOptions {
  return {
    post,
    serverUri,
    encoding,
    auth: { type: auth, username: 'funambol', password: 'funambol' },
    serverAuth: SRV,
    alerts: [USER_REQ],
    tree: { ...INVENTORY },
  };
}

const statusesOf = (s: ShapedSession, i: number) =>
  (s.exchanges[i]?.received?.body ?? []).flatMap((c) => (c.kind === 'Status' ? [`${c.cmd} ${c.data}`] : []));

for (const auth of ['basic', 'md5'] as const) {
  for (const encoding of ['xml', 'wbxml'] as const) {
    test(`libdmclient-shaped client, ${auth}, ${encoding.toUpperCase()} over HTTP: two sessions with SessionID 1 complete, the re-sent Get counts`, async () => {
      const logs: string[] = [];
      // Basic: the account is found by the credential's user name; MD5 names nobody: by the DevId it is bound to.
      const lab = await startLab({
        catalog: exampleCatalog(),
        devices: account(auth, auth === 'md5'),
        port: 0,
        log: { log: (level, message) => logs.push(`${level}: ${message}`) },
      });
      try {
        const opts = client(postHttp(lab.dmUrl), lab.dmUrl, auth, encoding);
        const first = await runLibdmShapedSession(opts);
        const second = await runLibdmShapedSession(opts);
        for (const [name, s] of [
          ['first', first],
          ['second', second],
        ] as const) {
          assert.equal(s.ended, true, `${name} session ends with the server's Final: ${logs.join('\n')}`);
          assert.equal(s.authenticated, true, `${name} session: the device authenticated (${auth}, 212)`);
          assert.equal(s.serverAuth, 212, `${name} session: the device accepted the server's credential`);
          assert.ok(
            s.exchanges.every((x) => x.httpStatus === 200),
            `${name} session: every POST with a DS media type answered 200`,
          );
        }
        if (auth === 'md5') {
          // First contact: the digest over an empty nonce is refused once. The 401 reply holds a Status for
          // every command received (DM Protocol 1.2, Authentication), each 401 as the SyncHdr's.
          assert.deepEqual(statusesOf(first, 0), ['SyncHdr 401', 'Alert 401', 'Replace 401', 'Alert 401']);
        }
        // The second session: the device forgot the nonce it gave the server, so it refuses the server's
        // credential. With basic that happens on the server's first commands: it answers them 401 (the
        // server's Get of the inventory list among them); they are re-sent, answered 200, and that answer
        // counts. (The server remembers from the first session that the device has no tree exchange.) With
        // MD5 the refusal comes earlier, on the server's 401 reply, which holds no command.
        assert.deepEqual(
          second.answers.filter((a) => a.startsWith('Get')),
          auth === 'basic' ? ['Get 401', 'Get 200', 'Get 200'] : ['Get 200', 'Get 200'],
        );
        assert.equal(
          second.exchanges.filter((x) => x.sent.body.some((c) => c.kind === 'Status' && c.cmdRef === '0' && c.data === '401')).length,
          1,
          "the device refused the server's credential once in the second session",
        );
        assert.ok(!logs.some((l) => l.includes('cannot investigate updates')), logs.join('\n'));
        assert.ok(!logs.some((l) => l.includes('answered 401')), 'no Get or UI alert is taken as answered 401');
        const answers = lab.server.uiAnswers();
        assert.deepEqual(
          answers.map((a) => `${a.text} ${a.status}`),
          [
            'Checking for updates… 200',
            'Your software is up to date. 200',
            'Checking for updates… 200',
            'Your software is up to date. 200',
          ],
          'each session checks and finds the device up to date; no UI answer of 401 is recorded',
        );
        assert.equal(lab.server.device(LIBDM_DEV_ID)?.account, 'funambol');
        assert.equal(lab.server.totals().sessions, 2, 'SessionID 1 again after the first ended is a new session');
        // Deviations: only what libdmclient rightly gets flagged for.
        const kinds = new Set(lab.server.deviations().map((d) => d.message.replace(/\d+/g, 'N')));
        assert.deepEqual(
          [...kinds].sort(),
          [
            'SessionID of an ended session used again for a new session (MsgID N)',
            `Content-Type application/vnd.syncml+${encoding} is SyncML DS's; DM RepPro N.N (SyncML element, MIME content types): a DM message is application/vnd.syncml.dm+xml or application/vnd.syncml.dm+wbxml (taken as DM; said once a session)`,
            ...(auth === 'basic'
              ? ['Alert', 'Get'].map(
                  (cmd) =>
                    `Status N for ${cmd} MsgRef N CmdRef N has no Chal (DM Protocol N.N, Authentication: a N or N Status MUST include one); taken as not executed (N)`,
                )
              : []),
          ].sort(),
        );
        assert.equal(
          lab.server.deviations().filter((d) => d.message.includes("SyncML DS's")).length,
          2,
          'the DS media type is flagged once a session, not on every message',
        );
        assert.ok(!logs.some((l) => l.includes('deviation') && l.includes('LocName')), 'a missing LocName is no deviation');
        assert.ok(
          logs.some((l) =>
            l.includes(
              `no LocName; account funambol found by ${auth === 'md5' ? 'the DevId it is bound to' : 'the user name in its basic credential'}`,
            ),
          ),
          logs.join('\n'),
        );
      } finally {
        await lab.close();
      }
    });
  }
}

test('strict mode: the DS media type is refused with 415; without it, taken with a deviation naming the rule', async () => {
  const opts = (server: Parameters<typeof postTo>[0]) => client(postTo(server, SERVER_URI), SERVER_URI, 'basic', 'xml');
  const strict = makeServer({ devices: account('basic', false), strict: true });
  const refused = await runLibdmShapedSession(opts(strict.server));
  assert.equal(refused.exchanges[0]?.httpStatus, 415);
  assert.ok(
    strict.logs.some((l) => l.includes(`Content-Type '${DS_XML}' is not application/vnd.syncml.dm+xml`) && l.includes('strict mode')),
    strict.logs.join('\n'),
  );
  const liberal = makeServer({ devices: account('basic', false) });
  const done = await runLibdmShapedSession(opts(liberal.server));
  assert.equal(done.ended, true);
  assert.ok(
    liberal.server.deviations().some((d) => d.message.includes('DM RepPro 1.2 (SyncML element, MIME content types)')),
    'the deviation names the rule',
  );
  // Another type is refused in both modes.
  const other = await liberal.server.handle(new Uint8Array([0x3c]), { uri: SERVER_URI, contentType: 'text/xml' });
  assert.equal(other?.status, 415);
});

test('a Status 0 (libdmclient when the server sent no credential) is a deviation; the Get it answered failed', async () => {
  // The account has no server credential, but the device checks one: libdmclient then answers 0 to everything.
  const { server, logs } = makeServer({ devices: parseDevices([{ username: 'funambol', password: 'funambol', auth: 'basic' }]) });
  const s = await runLibdmShapedSession({ ...client(postTo(server, SERVER_URI), SERVER_URI, 'basic', 'wbxml'), dmMediaTypes: true });
  assert.equal(s.ended, true, logs.join('\n'));
  const zero = server.deviations().filter((d) => /Status '0' for .* is not a status code/.test(d.message));
  assert.ok(
    zero.some(
      (d) => d.message.startsWith("Status '0' for the server's SyncHdr") && d.message.includes('does the device expect one (--server-cred'),
    ) && zero.some((d) => d.message.includes('for Get')),
    server
      .deviations()
      .map((d) => d.message)
      .join('\n'),
  );
  assert.ok(
    logs.some((l) => l.includes('cannot investigate updates: Get ./SCOMO/Inventory/Deployed answered 0')),
    logs.join('\n'),
  );
});

test('a failed Get whose Status has no TargetRef is logged with the URI the server asked', async () => {
  const { server, logs } = makeServer({ devices: account('basic', false) });
  // No SCOMO in its tree (as testdmclient): ?list=StructData 406, then the list 404, without TargetRef.
  const s = await runLibdmShapedSession({
    ...client(postTo(server, SERVER_URI), SERVER_URI, 'basic', 'xml'),
    tree: {},
    dmMediaTypes: true,
  });
  assert.equal(s.ended, true);
  const get = s.exchanges
    .flatMap((x) => x.sent.body)
    .find((c): c is StatusCmd => c.kind === 'Status' && c.cmd === 'Get' && c.data === '404');
  assert.deepEqual(get?.targetRefs, [], 'the Status names no TargetRef');
  assert.ok(
    logs.some((l) => l.endsWith('Get ./SCOMO/Inventory/Deployed answered 404')),
    logs.filter((l) => l.includes('answered')).join('\n'),
  );
});

test('the lab server replies in DM media types to a DS-typed request, and its body is the DM reply', async () => {
  const { server } = makeServer({ devices: account('basic', false) });
  const r = await runLibdmShapedSession(client(postTo(server, SERVER_URI), SERVER_URI, 'basic', 'xml'));
  const first = r.exchanges[0]!;
  assert.equal(first.contentType, DS_XML);
  assert.match(utf8Decode(new TextEncoder().encode(first.received?.hdr.verProto ?? '')), /DM\/1\.2/);
});

test('strict mode: a session that breaks a rule ends with Alert 1223 after the Statuses; liberal, it goes on', async () => {
  // libdmclient's SessionID is 1 in every session: the second one breaks "unique per client".
  const opts = (server: Parameters<typeof postTo>[0]) => ({
    ...client(postTo(server, SERVER_URI), SERVER_URI, 'basic', 'xml'),
    dmMediaTypes: true,
  });
  const strict = makeServer({ devices: account('basic', false), strict: true });
  const first = await runLibdmShapedSession(opts(strict.server));
  assert.equal(first.ended, true, strict.logs.join('\n'));
  assert.equal(strict.server.deviations().length, 0, 'the first session breaks no rule');
  const second = await runLibdmShapedSession(opts(strict.server));
  const replies = second.exchanges.flatMap((e) => e.received?.body ?? []);
  assert.ok(
    replies.some((c) => c.kind === 'Alert' && c.data === '1223'),
    `the server aborts: ${JSON.stringify(replies.map((c) => c.kind))}`,
  );
  assert.ok(strict.server.deviations().length > 0, 'the rule it broke is logged');
  assert.ok(
    strict.logs.some((l) => l.includes('strict mode') && l.includes('aborted (Alert 1223)')),
    strict.logs.join('\n'),
  );
  const liberal = makeServer({ devices: account('basic', false) });
  await runLibdmShapedSession(opts(liberal.server));
  const goesOn = await runLibdmShapedSession(opts(liberal.server));
  assert.ok(
    !goesOn.exchanges.some((e) => (e.received?.body ?? []).some((c) => c.kind === 'Alert' && c.data === '1223')),
    'without strict mode the session goes on',
  );
  assert.ok(liberal.server.deviations().length > 0, 'and the deviation is logged');
});
