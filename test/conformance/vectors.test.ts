// Vectors taken from the OMA DM 1.2 standard's own examples (see the comment atop each file for the section).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeXml } from '../../agent/syncml/xml-decode.js';
import { encodeXml } from '../../agent/syncml/xml-encode.js';
import { encodeWbxmlMessage } from '../../agent/syncml/wbxml-encode.js';
import { decodeWbxmlMessage } from '../../agent/syncml/wbxml-decode.js';
import type { AlertCmd, ItemCmd } from '../../agent/syncml/model.js';
import { basicCred, md5Digest } from '../../agent/session/auth.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { utf8Encode } from '../../agent/util/bytes.js';
import { needDtd, xmllintValidate } from '../helpers/peers.js';

const here = dirname(fileURLToPath(import.meta.url));
const load = (f: string) => new Uint8Array(readFileSync(join(here, 'vectors', f)));

test('§2.6.1.1 package 1 decodes as printed: header, empty Cred data, five DevInfo items', () => {
  const m = decodeXml(load('dm12-2.6.1.1-package1.xml'));
  assert.equal(m.hdr.target.locURI, 'http://www.syncml.org/mgmt-server');
  assert.equal(m.hdr.cred?.meta?.type, 'syncml:auth-basic');
  assert.equal(m.hdr.cred?.data, '');
  assert.equal(m.hdr.meta?.maxMsgSize, 5000);
  assert.equal((m.body[0] as AlertCmd).data, '1200');
  const r = m.body[1] as ItemCmd;
  assert.deepEqual(
    r.items.map((i) => i.data),
    ['IMEI:493005100592800', 'Device Factory, Inc.', 'SmartPhone2000', '1.0.0.1', 'en-US'],
  );
  assert.ok(
    r.items.every((i) => i.meta?.format === 'chr' && i.meta?.type === 'text/plain'),
    "r.items.every((i) => i.meta?.format === 'chr' && i.meta?.type === 'text/plain')",
  );
  assert.deepEqual(decodeWbxmlMessage(encodeWbxmlMessage(m)), m, 'same model through our WBXML');
});

test('§2.5 UI alerts: empty option Items, text and choices in order; the §2.5.2.5 Size meta', () => {
  const m = decodeXml(load('dm12-2.5-ui-alerts.xml'));
  const alerts = m.body.filter((c): c is AlertCmd => c.kind === 'Alert');
  assert.deepEqual(
    alerts.map((a) => a.data),
    ['1100', '1101', '1102', '1103', '1104'],
  );
  assert.equal(alerts[0]!.items[0]!.data, 'MINDT=10');
  assert.equal(alerts[1]!.items[0]!.data, undefined, '<Item></Item>: no options');
  assert.equal(alerts[1]!.items[1]!.data, 'Do you want to add the CNN access point?');
  assert.deepEqual(
    alerts[3]!.items.slice(2).map((i) => i.data),
    ['CNN', 'Mobilbank', 'Game Channel'],
  );
  const add = m.body.find((c) => c.kind === 'Add') as ItemCmd;
  assert.equal(add.meta?.type, 'application/antivirus-inc.virusdef');
  assert.equal(add.items[0]!.meta?.size, 37214);
});

test('§2.5 examples re-encoded by us are DTD-valid', { skip: needDtd() }, () => {
  for (const f of ['dm12-2.6.1.1-package1.xml', 'dm12-2.5-ui-alerts.xml'])
    assert.equal(xmllintValidate(encodeXml(decodeXml(load(f)))), '', f);
});

test('DM Security / Protocol authentication examples: Bruce2 / OhBehave, nonce "Nonce"', () => {
  assert.equal(basicCred('Bruce2', 'OhBehave'), 'QnJ1Y2UyOk9oQmVoYXZl');
  assert.equal(md5Digest(nodeCrypto, 'Bruce2', 'OhBehave', utf8Encode('Nonce')), 'Zz6EivR3yeaaENcRN6lpAQ==');
});
