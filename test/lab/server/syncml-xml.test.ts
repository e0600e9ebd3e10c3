import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncMLMessage } from '../../../agent/syncml/model.js';
import { decodeXml } from '../../../agent/syncml/xml-decode.js';
import { decodeWbxmlMessage } from '../../../agent/syncml/wbxml-decode.js';
import { encodeServerMessage, messageToXml } from '../../../lab/server/syncml-xml.js';
import { deployCommands, uiAlert } from '../../../lab/server/commands.js';
import { needDtd, needPeer, wbxml2xml, xmllintValidate } from '../../helpers/peers.js';
import { utf8Encode } from '../../../agent/util/bytes.js';
import { exampleCatalog } from './fixtures.js';
import { xmlbuilder2MessageToXml } from '../../helpers/xmlbuilder2-writer.js';

function sample(): SyncMLMessage {
  const e = exampleCatalog().entries[0]!;
  const [add, exec] = deployCommands(e, {
    node: 'p1',
    pkgId: 'pk',
    url: 'http://h/p?a=1&b=<2>',
    correlator: 'c1',
    operation: 'DownloadInstall',
    sha256: e.sha256,
  });
  return {
    hdr: {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: '1A2B',
      msgId: '2',
      target: { locURI: 'IMEI:1' },
      source: { locURI: 'http://s/dm' },
      cred: { meta: { format: 'b64', type: 'syncml:auth-md5' }, data: 'abc=' },
      meta: { maxMsgSize: 65536 },
    },
    body: [
      {
        kind: 'Status',
        cmdId: '1',
        msgRef: '1',
        cmdRef: '0',
        cmd: 'SyncHdr',
        targetRefs: ['http://s/dm'],
        sourceRefs: ['IMEI:1'],
        chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'bm9uY2U=' } },
        data: '212',
        items: [],
      },
      { ...uiAlert('1101', 'MINDT=2&DR=0', 'Install Weather 2.0?'), cmdId: '2' },
      { kind: 'Get', cmdId: '3', items: [{ target: { locURI: './SCOMO/Inventory/Deployed' } }] },
      { ...add, cmdId: '4' },
      { ...exec, cmdId: '5' },
    ],
    final: true,
  };
}

test('server XML decodes with the agent to the same message (escaping included)', () => {
  const m = sample();
  assert.deepEqual(decodeXml(utf8Encode(messageToXml(m))), m);
  assert.match(messageToXml(m), /<MaxMsgSize xmlns="syncml:metinf">65536<\/MaxMsgSize>/);
  assert.match(messageToXml(m, { declaration: true }), /^<\?xml version="1.0" encoding="UTF-8"\?>/);
});

test('server XML is what xmlbuilder2 writes, byte for byte, whatever the text holds (but a CR, written as &#13;)', () => {
  assert.equal(messageToXml(sample()), xmlbuilder2MessageToXml(sample()));
  assert.equal(messageToXml(sample(), { declaration: true }), xmlbuilder2MessageToXml(sample(), { declaration: true }));
  // Texts with markup characters, CDATA ends, controls, non-ASCII and empty values, in every position. Not an
  // entity-like "&amp;": xmlbuilder2 leaves that unescaped, so it would read back as "&" (the test below).
  const pieces = ['&', '<', '>', '"', "'", ']]>', '&a', '\r\n', '\t', 'é', '😀', ' ', 'a', ''];
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  const text = () => Array.from({ length: rnd(6) }, () => pieces[rnd(pieces.length)]).join('');
  for (let k = 0; k < 200; k++) {
    const m = sample();
    m.hdr.source.locName = text();
    m.hdr.meta = { emi: [text(), text()], ...(rnd(2) ? { maxObjSize: rnd(99999) } : {}) };
    m.body.push({
      kind: 'Alert',
      cmdId: text(),
      data: text(),
      correlator: text(),
      noResp: rnd(2) === 1,
      items: [
        { source: { locURI: text() }, meta: { type: text(), format: text(), mark: text() }, data: text(), moreData: rnd(2) === 1 },
        {},
      ],
    });
    m.body.push({
      kind: 'Results',
      cmdId: '9',
      cmdRef: text(),
      targetRef: text(),
      items: [{ target: { locURI: text(), locName: text() }, data: new Uint8Array([rnd(256), 0, 255]) }],
    });
    m.body.push({
      kind: 'Sequence',
      cmdId: '10',
      commands: [{ kind: 'Replace', cmdId: '11', meta: {}, items: [{ target: { locURI: text() }, data: text() }] }],
    });
    // xmlbuilder2 writes a CR raw, which the device's parser (any XML parser) reads as LF.
    assert.equal(messageToXml(m), xmlbuilder2MessageToXml(m).replace(/\r/g, '&#13;'), JSON.stringify(m));
  }
});

test('a CR in server text reaches the device as a CR (raw, XML would turn it into LF)', () => {
  const m = sample();
  (m.body[1] as { items: { data: string }[] }).items[1]!.data = 'line 1\r\nline 2\r';
  assert.deepEqual(decodeXml(utf8Encode(messageToXml(m))), m);
  assert.notDeepEqual(decodeXml(utf8Encode(xmlbuilder2MessageToXml(m))), m, 'xmlbuilder2 writes the CR raw');
});

test('what XML cannot carry (a device may send it in WBXML, and the server echoes it) is written as U+FFFD, in XML and in WBXML', () => {
  const m = sample();
  const status = m.body[0] as { sourceRefs: string[] };
  status.sourceRefs = ['IMEI:49\u0002\u001a3\uFFFE\uD800x\uDC00\u0000'];
  (m.body[1] as { items: { data: string }[] }).items[1]!.data = 'pair 😀 kept, tab\tand LF\n kept';
  const want = structuredClone(m);
  (want.body[0] as { sourceRefs: string[] }).sourceRefs = ['IMEI:49\ufffd\ufffd3\ufffd\ufffdx\ufffd\ufffd'];
  assert.deepEqual(decodeXml(utf8Encode(messageToXml(m))), want);
  assert.deepEqual(decodeWbxmlMessage(encodeServerMessage(m, 'wbxml')), want);
});

test('a text that looks like an entity reference is escaped, so the device reads back what the server meant', () => {
  const m = sample();
  (m.body[1] as { items: { data: string }[] }).items[1]!.data = 'Tom &amp; Jerry &#38; &lt;3';
  assert.deepEqual(decodeXml(utf8Encode(messageToXml(m))), m);
  assert.notDeepEqual(decodeXml(utf8Encode(xmlbuilder2MessageToXml(m))), m, 'xmlbuilder2 does not escape "&amp;" in text');
});

test('server XML is valid against the DM 1.2 DTD', { skip: needDtd() }, () => {
  assert.equal(xmllintValidate(messageToXml(sample(), { declaration: true })), '');
});

test('WBXML replies decode with the agent and with libwbxml', { skip: needPeer('wbxml2xml') }, () => {
  const bytes = encodeServerMessage(sample(), 'wbxml');
  assert.deepEqual(bytes.subarray(0, 4), new Uint8Array([0x02, 0xa4, 0x01, 0x6a]));
  assert.deepEqual(decodeWbxmlMessage(bytes), sample());
  const xml = wbxml2xml(bytes);
  assert.match(xml, /<LocURI>\.\/SCOMO\/Download\/p1\/Operations\/DownloadInstall<\/LocURI>/);
  assert.deepEqual(decodeXml(utf8Encode(xml)), sample());
});
