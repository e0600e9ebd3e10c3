import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { XMLParser } from 'fast-xml-parser';
import { encodeXml, encodeXmlString } from '../../../agent/syncml/xml-encode.js';
import { decodeXml } from '../../../agent/syncml/xml-decode.js';
import { escapeText } from '../../../agent/syncml/map.js';
import { messagesWithEdges, sampleMessages } from '../../helpers/corpus.js';
import { normalize } from '../../helpers/normalize.js';
import { needDtd, xmllintValidate } from '../../helpers/peers.js';

const corpus = sampleMessages();

test('encode → decode is the identity on every corpus message (binary as base64)', () => {
  for (const { name, msg } of corpus) {
    assert.deepEqual(normalize(decodeXml(encodeXml(msg))), normalize(msg), name);
    assert.deepEqual(normalize(decodeXml(encodeXml(msg, { indent: true, declaration: true }))), normalize(msg), `${name} indented`);
  }
});

test('an independent reader (fast-xml-parser) sees the same fields, in DTD order, MetInf namespaced', () => {
  const parser = new XMLParser({ ignoreAttributes: false, preserveOrder: true });
  const pkg1 = corpus.find((c) => c.name === 'pkg1-user-component')!.msg;
  const xml = encodeXmlString(pkg1);
  const doc = parser.parse(xml) as Record<string, unknown>[];
  const root = doc[0]!;
  assert.equal((root[':@'] as Record<string, string>)['@_xmlns'], 'SYNCML:SYNCML1.2');
  const hdr = (root.SyncML as Record<string, unknown>[])[0]!.SyncHdr as Record<string, unknown>[];
  assert.deepEqual(
    hdr.map((e) => Object.keys(e)[0]),
    ['VerDTD', 'VerProto', 'SessionID', 'MsgID', 'Target', 'Source', 'Cred', 'Meta'],
  );
  assert.match(
    xml,
    /<Meta><MaxMsgSize xmlns="syncml:metinf">16384<\/MaxMsgSize><MaxObjSize xmlns="syncml:metinf">65536<\/MaxObjSize><\/Meta>/,
  );
  assert.match(
    xml,
    /<Item><Source><LocURI>\.\/SCOMO\/Inventory\/Deployed\/app1<\/LocURI><\/Source><Meta><Format xmlns="syncml:metinf">chr<\/Format><Type xmlns="syncml:metinf">urn:oma:at:scomo:1\.1:UpdateUserRequest<\/Type><\/Meta><Data\/><\/Item>/,
  );
  const ui = corpus.find((c) => c.name === 'pkg2-ui')!.msg;
  assert.match(encodeXmlString(ui), /Install Weather 2\.0 now\? &lt;yes&gt; &amp; "ok"/);
});

test('every corpus message is valid against the DM 1.2 DTD (xmllint --dtdvalid)', { skip: needDtd() }, () => {
  for (const { name, msg } of corpus) {
    assert.equal(xmllintValidate(encodeXml(msg)), '', `${name} is not DTD-valid`);
    assert.equal(xmllintValidate(encodeXml(msg, { indent: true, declaration: true })), '', `${name} (indented) is not DTD-valid`);
  }
});

test('xmllint rejects a message with the Item children out of DTD order (the check has teeth)', { skip: needDtd() }, () => {
  const bad = encodeXmlString(corpus[0]!.msg)
    .replace('<Source><LocURI>./SCOMO/Inventory/Deployed/app1</LocURI></Source><Meta>', '<Meta>')
    .replace('<Data/></Item>', '<Data/><Source><LocURI>x</LocURI></Source></Item>');
  assert.notEqual(xmllintValidate(bad), '');
});

test('what XML cannot carry (controls, lone surrogates, U+FFFE) becomes U+FFFD; tab, CR (as &#13;), LF and astral pairs stay, for us and for libxml2', {
  skip: needDtd(),
}, () => {
  const msg = structuredClone(corpus[0]!.msg);
  const alert = msg.body.find((c) => c.kind === 'Alert' && c.items.length > 0) as { items: { data?: unknown }[] };
  alert.items[0]!.data = 'a\u0001b\ud800c\udc00d\ufffee\t\r\n😀f';
  const bytes = encodeXml(msg);
  assert.equal(xmllintValidate(bytes), '', 'well-formed and valid');
  assert.equal(
    (decodeXml(bytes).body.find((c) => c.kind === 'Alert' && c.items.length > 0) as typeof alert).items[0]!.data,
    'a\ufffdb\ufffdc\ufffdd\ufffde\t\r\n😀f',
  );
  // libxml2 reads the same text, CR included: written raw, a conforming parser would read it as LF.
  const first = "(//*[local-name()='Alert'][*[local-name()='Item']])[1]/*[local-name()='Item'][1]/*[local-name()='Data']";
  const read = spawnSync('xmllint', ['--nonet', '--xpath', `string(${first})`, '-'], { input: bytes, encoding: 'utf8' });
  assert.equal(read.stdout.replace(/\n$/, ''), 'a\ufffdb\ufffdc\ufffdd\ufffde\t\r\n😀f', read.stderr);
  // The fallback UTF-8 writer and the platform's agree on it.
  assert.deepEqual(encodeXml(msg), encodeXml(msg, { utf8: { encode: (s) => new TextEncoder().encode(s), decode: () => '' } }));
});

test('a message written a command at a time is the text of its whole element tree, indented or not, with or without body', async () => {
  const { elementToXml } = await import('../../../agent/syncml/xml-encode.js');
  const { messageToElement } = await import('../../../agent/syncml/map.js');
  for (const msg of messagesWithEdges()) {
    for (const indent of [false, true]) {
      for (const declaration of [false, true]) {
        const whole =
          (declaration ? `<?xml version="1.0" encoding="UTF-8"?>${indent ? '\n' : ''}` : '') +
          elementToXml(messageToElement(msg), { indent, rootNs: 'SYNCML:SYNCML1.2' }) +
          (indent ? '\n' : '');
        assert.equal(encodeXmlString(msg, { indent, declaration }), whole, `${msg.hdr.msgId} indent ${indent} declaration ${declaration}`);
      }
    }
  }
});

test('escapeText: every UTF-16 code unit alone and amid text is kept or replaced as XML 1.0 asks', () => {
  const expected = (c: number): string =>
    c === 38
      ? '&amp;'
      : c === 60
        ? '&lt;'
        : c === 62
          ? '&gt;'
          : c === 13
            ? '&#13;'
            : (c < 0x20 && c !== 9 && c !== 10) || (c >= 0xd800 && c <= 0xdfff) || c >= 0xfffe
              ? '\ufffd'
              : String.fromCharCode(c);
  let wrong = 0;
  for (let c = 0; c <= 0xffff; c++) {
    const ch = String.fromCharCode(c);
    if (escapeText(ch) !== expected(c) || escapeText(`ab${ch}cd`) !== `ab${expected(c)}cd`) wrong++;
  }
  assert.equal(wrong, 0, 'code units escaped wrongly');
  assert.equal(escapeText('\ud83d\ude00<'), '\ud83d\ude00&lt;', 'a surrogate pair stays whole');
});
