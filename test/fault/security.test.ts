// Hostile server packages: each is refused with the right status and changes nothing in the DM tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { Session, type SessionOptions } from '../../agent/session/session.js';
import { ExecRegistry } from '../../agent/session/types.js';
import { seedTree } from '../../agent/description/seed.js';
import { readAccount, writeNonce } from '../../agent/tree/dmacc.js';
import { serializeTree } from '../../agent/tree/persist-format.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import { hmacHeader, md5Digest } from '../../agent/session/auth.js';
import { encodeMessage } from '../../agent/syncml/codec.js';
import type { Command, SyncMLMessage } from '../../agent/syncml/model.js';
import type { Crypto } from '../../agent/ports.js';
import { ALERT_TYPE_USER_REQUEST } from '../../agent/alerts/types.js';
import type { DmTree } from '../../agent/tree/types.js';
import { reply, runScript, statusesFor, statusFor } from '../helpers/scripted-server.js';

const crypto: Crypto = nodeCrypto;

function makeSession(serverAuth?: 'md5' | 'hmac') {
  const desc = parseDeviceDescription({
    devInfo: { devId: 'IMEI:493005100592800', man: 'ExampleCo', mod: 'TS-Agent-1' },
    account: {
      serverId: 'labserver',
      serverUri: 'http://127.0.0.1:8080/dm',
      auth: { type: 'md5', username: 'dmuser', password: 'dmpass' },
      ...(serverAuth ? { serverAuth: { type: serverAuth, username: 'labserver', password: 'srvpass' } } : {}),
    },
    components: [{ node: 'app1', id: 'com.example.app1', name: 'Weather', version: '1.0' }],
  });
  const tree = seedTree(desc);
  const opts: SessionOptions = {
    tree,
    account: readAccount(tree),
    devId: desc.devInfo.devId,
    crypto,
    encoding: 'xml',
    sessionId: '1A2B',
    alerts: [{ id: 'a1', type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '', source: './SCOMO/Inventory/Deployed/app1' }],
    exec: new ExecRegistry(),
  };
  return { session: new Session(opts), tree, opts };
}

const snapshot = (tree: DmTree) => serializeTree((tree.snapshot() as { root: Parameters<typeof serializeTree>[0] }).root);
const replaceLang: Command = { kind: 'Replace', cmdId: '', items: [{ target: { locURI: './DevInfo/Lang' }, data: 'de' }] };
const addNode: Command = { kind: 'Add', cmdId: '', items: [{ target: { locURI: './SCOMO/Download/evil' }, meta: { format: 'node' } }] };
const statusOf = (m: SyncMLMessage, cmd: string) =>
  m.body.filter((c) => c.kind === 'Status' && c.cmd === cmd).map((c) => (c as { data: string }).data);

test('HMAC required: a server package with a wrong MAC, or none, is refused (401 with a challenge) and runs nothing', async () => {
  for (const mac of ['wrong-key', 'missing'] as const) {
    const { session, tree } = makeSession('hmac');
    const before = snapshot(tree);
    const ex = await runScript(session, [
      (c) => {
        const body = encodeMessage(reply(c, 212, [...statusesFor(c), addNode]), 'xml');
        return mac === 'missing' ? { body } : { body, hmac: hmacHeader(crypto, 'labserver', 'not-the-password', new Uint8Array(0), body) };
      },
      (c) => reply(c, 200, []),
      (c) => reply(c, 200, []),
    ]);
    const answer = ex[1]!.client;
    assert.match(statusFor(answer, '0')[0]!.data, /^40[17]$/, `${mac}: SyncHdr refused`);
    assert.ok(statusFor(answer, '0')[0]!.chal, `${mac}: with a fresh challenge`);
    assert.deepEqual(statusOf(answer, 'Add'), ['215'], `${mac}: the Add is not executed`);
    assert.equal(snapshot(tree), before, `${mac}: tree unchanged`);
  }
});

test('a server package replayed in a later session (digest over a used nonce) is refused and runs nothing', async () => {
  const { session, tree, opts } = makeSession('md5');
  const account = readAccount(tree);
  opts.saveNonce = (which, nonce) => writeNonce(tree, account, which, nonce);
  // Session 1: the server signs with the nonce the device holds; the device accepts and issues a new one.
  let recorded: SyncMLMessage | undefined;
  const first = await runScript(session, [
    (c) => {
      recorded = reply(c, 212, [...statusesFor(c), replaceLang]);
      recorded.hdr.cred = {
        meta: { type: 'syncml:auth-md5', format: 'b64' },
        data: md5Digest(crypto, 'labserver', 'srvpass', account.server.nonce),
      };
      return recorded;
    },
    (c) => reply(c, 200, []),
  ]);
  assert.equal(statusFor(first[1]!.client, '0')[0]!.data, '212');
  assert.ok(statusFor(first[1]!.client, '0')[0]!.chal?.meta.nextNonce, 'a fresh nonce for the next session');
  const before = snapshot(tree);
  // Session 2: an attacker replays the recorded package.
  const second = new Session({ ...opts, account: readAccount(tree), sessionId: '1A2B' });
  const ex = await runScript(second, [() => recorded!, (c) => reply(c, 200, []), (c) => reply(c, 200, [])]);
  const answer = ex[1]!.client;
  assert.equal(statusFor(answer, '0')[0]!.data, '401');
  assert.deepEqual(statusOf(answer, 'Replace'), ['215']);
  // Nothing changed but the nonce the device issued with its new challenge.
  const noNonce = (t: string) => t.replace(/"AAuthData","f":"bin","b":"[^"]*"(,"a":"[^"]*")?(,"vn":\d+)?/g, '"AAuthData"');
  assert.equal(noNonce(snapshot(tree)), noNonce(before));
  assert.notEqual(snapshot(tree), before, 'a fresh nonce was issued');
});

test('commands the ACLs forbid, and URIs outside the tree, get their statuses and change nothing', async () => {
  const { session, tree } = makeSession();
  const before = snapshot(tree);
  const ex = await runScript(session, [
    (c) =>
      reply(c, 212, [
        ...statusesFor(c),
        { kind: 'Replace', cmdId: '', items: [{ target: { locURI: './DevInfo/Man' }, data: 'Evil' }] },
        { kind: 'Get', cmdId: '', items: [{ target: { locURI: './DMAcc/dms/AppAuth/client/AAuthSecret' } }] },
        { kind: 'Delete', cmdId: '', items: [{ target: { locURI: './DevInfo' } }] },
        { kind: 'Get', cmdId: '', items: [{ target: { locURI: './Nowhere/x' } }] },
        { kind: 'Replace', cmdId: '', items: [{ target: { locURI: './SCOMO/../DMAcc/dms/ServerID' }, data: 'evil' }] },
        { kind: 'Add', cmdId: '', items: [{ target: { locURI: '../outside' }, data: 'x' }] },
        { kind: 'Add', cmdId: '', items: [{ target: { locURI: `./${'a/'.repeat(40)}b` }, data: 'x' }] },
      ]),
    (c) => reply(c, 200, []),
  ]);
  const answer = ex[1]!.client;
  const codes = answer.body
    .filter((c) => c.kind === 'Status' && c.cmd !== 'SyncHdr' && c.cmdRef !== '1')
    .map((c) => `${(c as { cmd: string }).cmd}=${(c as { data: string }).data}`);
  assert.deepEqual(codes.slice(-7), ['Replace=425', 'Get=425', 'Delete=425', 'Get=404', 'Replace=400', 'Add=400', 'Add=414']);
  assert.equal(
    answer.body.some((c) => c.kind === 'Results'),
    false,
    'no secret comes back',
  );
  assert.equal(snapshot(tree), before);
});

const undecodable: [string, Uint8Array][] = [
  [
    'an XML bomb (entity expansion)',
    new TextEncoder().encode(
      '<?xml version="1.0"?><!DOCTYPE SyncML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' +
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1A2B</SessionID>' +
        '<MsgID>1</MsgID><Target><LocURI>IMEI:493005100592800</LocURI></Target><Source><LocURI>http://127.0.0.1:8080/dm</LocURI></Source></SyncHdr><SyncBody>&c;<Final/></SyncBody></SyncML>',
    ),
  ],
  [
    'a WBXML string-table reference past the table',
    new Uint8Array([0x02, 0xa4, 0x01, 0x6a, 0x03, 0x61, 0x62, 0x00, 0x6d, 0x6c, 0x83, 0x7f, 0x01, 0x01, 0x01]),
  ],
  ['a WBXML string table longer than the message', new Uint8Array([0x02, 0xa4, 0x01, 0x6a, 0x8f, 0x7f, 0x61])],
  [
    'an oversized message (80 KB)',
    new TextEncoder().encode(
      `<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD></SyncHdr><SyncBody>${'<Get><CmdID>1</CmdID></Get>'.repeat(3000)}</SyncBody></SyncML>`,
    ),
  ],
  [
    'elements nested 40 deep',
    new TextEncoder().encode(`<SyncML xmlns="SYNCML:SYNCML1.2">${'<Atomic>'.repeat(40)}${'</Atomic>'.repeat(40)}</SyncML>`),
  ],
];

for (const [what, body] of undecodable) {
  test(`${what}: refused, the session ends with Alert 1223, the tree is untouched`, async () => {
    const { session, tree } = makeSession();
    const before = snapshot(tree);
    assert.ok(session.nextMessage(), 'session.nextMessage()');
    await session.receive({ body });
    const abort = session.nextMessage();
    assert.ok(abort, 'an abort message goes out');
    const { decodeMessage } = await import('../../agent/syncml/codec.js');
    assert.ok(
      decodeMessage(abort.body).body.some((c) => c.kind === 'Alert' && c.data === '1223'),
      'Alert 1223 (session abort)',
    );
    assert.equal(session.nextMessage(), undefined);
    assert.equal(session.outcome.ok, false);
    assert.match(session.outcome.error?.code ?? '', /^DM_ERR_(XML_FORBIDDEN|BAD_WBXML|TOO_LARGE|XML_LIMIT|BAD_XML)$/);
    assert.equal(snapshot(tree), before);
  });
}
