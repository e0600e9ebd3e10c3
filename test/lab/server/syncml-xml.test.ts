import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncMLMessage } from '../../../agent/syncml/model.js';
import { decodeXml } from '../../../agent/syncml/xml-decode.js';
import { decodeWbxmlMessage } from '../../../agent/syncml/wbxml-decode.js';
import { encodeServerMessage, messageToXml } from '../../../lab/server/syncml-xml.js';
import { deployCommands, uiAlert } from '../../../lab/server/commands.js';
import { needPeer, wbxml2xml, xmllintValidate } from '../../helpers/peers.js';
import { utf8Encode } from '../../../agent/util/bytes.js';
import { exampleCatalog } from './fixtures.js';

function sample(): SyncMLMessage {
  const e = exampleCatalog().entries[0]!;
  const [add, exec] = deployCommands(e, { node: 'p1', pkgId: 'pk', url: 'http://h/p?a=1&b=<2>', correlator: 'c1', operation: 'DownloadInstall', sha256: e.sha256 });
  return {
    hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1A2B', msgId: '2', target: { locURI: 'IMEI:1' }, source: { locURI: 'http://s/dm' },
      cred: { meta: { format: 'b64', type: 'syncml:auth-md5' }, data: 'abc=' }, meta: { maxMsgSize: 65536 } },
    body: [
      { kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', targetRefs: ['http://s/dm'], sourceRefs: ['IMEI:1'],
        chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: 'bm9uY2U=' } }, data: '212', items: [] },
      { ...uiAlert('1101', 'MINDT=2&DR=0', 'Install Weather 2.0?'), cmdId: '2' },
      { kind: 'Get', cmdId: '3', items: [{ target: { locURI: './SCOMO/Inventory/Deployed' } }] },
      { ...add, cmdId: '4' }, { ...exec, cmdId: '5' },
    ],
    final: true,
  };
}

test('xmlbuilder2 output decodes with the agent to the same message (escaping included)', () => {
  const m = sample();
  assert.deepEqual(decodeXml(utf8Encode(messageToXml(m))), m);
  assert.match(messageToXml(m), /<MaxMsgSize xmlns="syncml:metinf">65536<\/MaxMsgSize>/);
  assert.match(messageToXml(m, { declaration: true }), /^<\?xml version="1.0" encoding="UTF-8"\?>/);
});

test('server XML is valid against the DM 1.2 DTD', { skip: needPeer('xmllint') }, () => {
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
