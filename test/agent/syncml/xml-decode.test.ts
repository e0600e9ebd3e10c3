import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_XML_LIMITS, decodeXml, parseXmlElement } from '../../../agent/syncml/xml-decode.js';
import { MAX_CONTAINER_NESTING } from '../../../agent/syncml/map.js';
import { DmError } from '../../../agent/errors.js';
import type { AlertCmd, ExecCmd, ItemCmd, StatusCmd } from '../../../agent/syncml/model.js';
import { utf8Encode } from '../../../agent/util/bytes.js';
import { needShared, sharedDir } from '../../helpers/peers.js';

const vector = (name: string) => new Uint8Array(readFileSync(join(sharedDir, 'vectors', name)));
const wrap = (body: string, hdrExtra = '') =>
  `<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>a</LocURI></Target><Source><LocURI>b</LocURI></Source>${hdrExtra}</SyncHdr><SyncBody>${body}</SyncBody></SyncML>`;
const refuses = (xml: string | Uint8Array, code: string, status: number, re?: RegExp) =>
  assert.throws(
    () => decodeXml(typeof xml === 'string' ? utf8Encode(xml) : xml),
    (e: unknown) => e instanceof DmError && e.code === code && e.status === status && (!re || re.test(e.message)),
    `${code} ${status}`,
  );

test('shared vector pkg1 decodes: header, Cred, DevInfo Replace, Generic Alert with empty Data', {
  skip: needShared('vectors/pkg1-generic-alert.xml'),
}, () => {
  const m = decodeXml(vector('pkg1-generic-alert.xml'));
  assert.equal(m.hdr.sessionId, '1A2B');
  assert.equal(m.hdr.source.locName, 'dmuser');
  assert.equal(m.hdr.cred?.meta?.type, 'syncml:auth-md5');
  assert.equal(m.hdr.meta?.maxMsgSize, 10000);
  assert.equal(m.hdr.meta?.maxObjSize, 524288);
  assert.equal((m.body[1] as ItemCmd).items.length, 5);
  const g = m.body[2] as AlertCmd;
  assert.equal(g.data, '1226');
  assert.equal(g.correlator, 'corr-42');
  assert.equal(g.items[0]!.meta?.type, 'urn:oma:at:scomo:1.1:UpdateUserRequest');
  assert.equal(g.items[0]!.source?.locURI, './SCOMO/Inventory/Deployed/app1');
  assert.equal(g.items[0]!.data, '', 'empty Data is present, not absent');
  assert.equal(m.final, true);
});

test('shared vector pkg2 decodes: statuses, UI option strings with &amp; decoded, SCOMO Add and Exec', {
  skip: needShared('vectors/pkg2-server-ui-scomo.xml'),
}, () => {
  const m = decodeXml(vector('pkg2-server-ui-scomo.xml'));
  const s = m.body[0] as StatusCmd;
  assert.deepEqual([s.cmd, s.cmdRef, s.data, s.targetRefs[0]], ['SyncHdr', '0', '212', 'http://127.0.0.1:8080/dm']);
  const confirm = m.body.find((c) => c.kind === 'Alert' && c.data === '1101') as AlertCmd;
  assert.equal(confirm.items[0]!.data, 'MINDT=10&MAXDT=30&DR=1');
  const multi = m.body.find((c) => c.kind === 'Alert' && c.data === '1104') as AlertCmd;
  assert.deepEqual(
    multi.items.map((i) => i.data),
    ['MAXDT=120&DR=1-3', 'Select components', 'app1', 'app2', 'app3'],
  );
  const exec = m.body.find((c) => c.kind === 'Exec') as ExecCmd;
  assert.equal(exec.correlator, 'scomo-42');
  assert.equal(exec.items[0]!.target?.locURI, './SCOMO/Download/pkg1/Operations/DownloadInstall');
  const addCmd = m.body.find((c) => c.kind === 'Add') as ItemCmd;
  assert.equal(addCmd.items[0]!.meta?.format, 'node');
  assert.equal(addCmd.items[0]!.data, undefined);
});

test('text: CDATA, the five entities, numeric references, BOM, comments; embedded markup kept as text', () => {
  const bom = new Uint8Array([
    0xef,
    0xbb,
    0xbf,
    ...utf8Encode(
      wrap(
        `<!-- c --><Alert><CmdID>1</CmdID><Data>1100</Data><Item><Data><![CDATA[a<b>&c]]> &lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#x1F600;</Data></Item><Item><Data><ResultCode>1200</ResultCode></Data></Item></Alert>`,
      ),
    ),
  ]);
  const m = decodeXml(bom);
  const a = m.body[0] as AlertCmd;
  assert.equal(a.items[0]!.data, 'a<b>&c <>&"\' AB😀');
  assert.equal(a.items[1]!.data, '<ResultCode>1200</ResultCode>');
});

test('refusals: DTD subset, entities, PIs, mismatched tags, truncation, text outside the root', () => {
  refuses(`<!DOCTYPE SyncML [<!ENTITY x "y">]>${wrap('')}`, 'DM_ERR_XML_FORBIDDEN', 400, /internal subset/);
  refuses(wrap('<Alert><CmdID>1</CmdID><Data>&xxe;</Data></Alert>'), 'DM_ERR_XML_FORBIDDEN', 400, /unknown entity/);
  refuses(wrap('<?php x ?>'), 'DM_ERR_XML_FORBIDDEN', 400);
  refuses(wrap('<Alert><CmdID>1</Alert>'), 'DM_ERR_BAD_XML', 400, /closes/);
  refuses(wrap('').slice(0, 80), 'DM_ERR_BAD_XML', 400, /unterminated|expected/);
  refuses(`${wrap('')}junk`, 'DM_ERR_BAD_XML', 400, /after the root/);
  refuses(wrap('<Alert><CmdID>1</CmdID><Data>&#0;</Data></Alert>'), 'DM_ERR_BAD_XML', 400, /character reference/);
  // Raw, what XML 1.0 does not allow is refused as its reference is (found by fuzzing: a NUL taken in could
  // not be written again in WBXML); tab, LF and CR are text.
  refuses(
    wrap('<Alert><CmdID>1</CmdID><Data>a\u0000b</Data></Alert>'),
    'DM_ERR_BAD_XML',
    400,
    /character U\+0000 is not allowed in XML at 1:\d+/,
  );
  refuses(wrap('<Alert><CmdID>1</CmdID><Data>\u001f</Data></Alert>'), 'DM_ERR_BAD_XML', 400, /U\+001F/);
  refuses(wrap('<Alert><CmdID>1</CmdID><Data>\uffff</Data></Alert>'), 'DM_ERR_BAD_XML', 400, /U\+FFFF/);
  refuses(wrap('<Alert\u0001><CmdID>1</CmdID></Alert>'), 'DM_ERR_BAD_XML', 400, /U\+0001/);
  // What libxml2 refused and we took (found by comparing the two on mutated packages).
  refuses(wrap('<Alert><CmdID>1</CmdID><Data>a]]>b</Data></Alert>'), 'DM_ERR_BAD_XML', 400, /']]>' in text at 1:\d+/);
  refuses(wrap('<Alert><CmdID>1</CmdID><Data><![CDATA[x]]>]]></Data></Alert>'), 'DM_ERR_BAD_XML', 400, /']]>' in text/);
  refuses('<SyncML xmlns="SYNCML:<SYNCML1.2"><SyncHdr/></SyncML>', 'DM_ERR_BAD_XML', 400, /'<' in the value of attribute xmlns/);
  assert.equal(
    (
      decodeXml(
        utf8Encode(
          wrap('<Alert><CmdID>1</CmdID><Data>1100</Data><Item><Data>a]]b] ]>&gt;<![CDATA[]]]]><![CDATA[>]]></Data></Item></Alert>'),
        ),
      ).body[0] as AlertCmd
    ).items[0]!.data,
    'a]]b] ]>>]]>',
  );
  assert.equal(
    (decodeXml(utf8Encode(wrap('<Alert><CmdID>1</CmdID><Data>1100</Data><Item><Data>a\tb\nc</Data></Item></Alert>'))).body[0] as AlertCmd)
      .items[0]!.data,
    'a\tb\nc',
  );
  // Line breaks read as LF (XML 1.0 §2.11): CR LF and a lone CR, in text and CDATA; a CR stays as &#13;.
  const lines = (text: string) =>
    (decodeXml(utf8Encode(wrap(`<Alert><CmdID>1</CmdID><Data>1100</Data><Item><Data>${text}</Data></Item></Alert>`))).body[0] as AlertCmd)
      .items[0]!.data;
  assert.equal(lines('a\r\nb\rc\n'), 'a\nb\nc\n');
  assert.equal(lines('<![CDATA[x\r\ny]]>'), 'x\ny');
  assert.equal(lines('a&#13;&#10;b'), 'a\r\nb');
  refuses(new Uint8Array([0x3c, 0x61, 0xff, 0x3e]), 'DM_ERR_BAD_SYNCML', 400, /UTF-8/);
  // An external DOCTYPE without subset (as the shared vectors carry) is accepted and ignored.
  assert.equal(decodeXml(utf8Encode(`<!DOCTYPE SyncML PUBLIC "-//SYNCML//DTD SyncML 1.2//EN" "x.dtd">${wrap('')}`)).body.length, 0);
});

test('limits: size 413, depth 413, element count 413 — an XML bomb cannot grow', () => {
  refuses(wrap(`<Alert><CmdID>1</CmdID><Data>${'x'.repeat(70000)}</Data></Alert>`), 'DM_ERR_TOO_LARGE', 413);
  refuses(wrap('<Atomic><CmdID>1</CmdID>'.repeat(40) + '</Atomic>'.repeat(40)), 'DM_ERR_XML_LIMIT', 413, /deeper/);
  assert.throws(
    () => decodeXml(utf8Encode(wrap('<Final/>'.repeat(200))), { maxElements: 100 }),
    (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_XML_LIMIT' && /more than 100 XML elements/.test(e.message),
  );
  assert.throws(
    () => parseXmlElement('<a><b/></a>', { maxDepth: 1 }),
    (e: unknown) => e instanceof DmError && e.status === 413,
  );
});

test("a message nested to the depth limit decodes (the reader keeps no frame per level on the device's small stack); one level more is 413", () => {
  // SyncML > SyncBody > Alert > Item > Data are 5 levels; 27 more reach DEFAULT_XML_LIMITS.maxDepth (32).
  const nested = (n: number) =>
    wrap(`<Alert><CmdID>1</CmdID><Data>1100</Data><Item><Data>${'<a>'.repeat(n)}x${'</a>'.repeat(n)}</Data></Item></Alert>`);
  assert.equal(DEFAULT_XML_LIMITS.maxDepth, 32);
  const m = decodeXml(utf8Encode(nested(27)));
  const alert = m.body[0] as AlertCmd;
  assert.equal(alert.items[0]!.data, `${'<a>'.repeat(27)}x${'</a>'.repeat(27)}`, 'embedded markup written back as text');
  refuses(nested(28), 'DM_ERR_XML_LIMIT', 413, /deeper than 32/);
});

test(`Atomic and Sequence nested more than ${MAX_CONTAINER_NESTING} deep: the deeper one is Unsupported (answered 406), not read`, () => {
  const levels = MAX_CONTAINER_NESTING + 1;
  let body = '<Replace><CmdID>99</CmdID><Item><Target><LocURI>./DevInfo/Lang</LocURI></Target><Data>de</Data></Item></Replace>';
  for (let k = levels; k >= 1; k--)
    body = `<${k % 2 ? 'Sequence' : 'Atomic'}><CmdID>${k}</CmdID>${body}</${k % 2 ? 'Sequence' : 'Atomic'}>`;
  let c = decodeXml(utf8Encode(wrap(body))).body[0];
  for (let k = 1; k < levels; k++) {
    assert.ok(c && (c.kind === 'Sequence' || c.kind === 'Atomic'), `level ${k} is a container`);
    c = c.commands[0];
  }
  assert.deepEqual(c, { kind: 'Unsupported', name: levels % 2 ? 'Sequence' : 'Atomic', cmdId: String(levels) });
});

test('SyncML structure: versions 505, missing parts 400/412 with the place named, unknown commands kept', () => {
  refuses(wrap('').replace('<VerDTD>1.2', '<VerDTD>1.1'), 'DM_ERR_UNSUPPORTED_DTD', 505);
  refuses(wrap('').replace('<MsgID>1</MsgID>', ''), 'DM_ERR_BAD_SYNCML', 400, /SyncHdr: missing MsgID/);
  refuses(wrap('<Add><CmdID>4</CmdID></Add>'), 'DM_ERR_BAD_SYNCML', 412, /Add\[CmdID=4\]: needs at least one Item/);
  refuses(
    wrap('<Status><CmdID>4</CmdID><MsgRef>1</MsgRef><Cmd>Add</Cmd><Data>200</Data></Status>'),
    'DM_ERR_BAD_SYNCML',
    412,
    /missing CmdRef/,
  );
  refuses(wrap('', '<Meta><MaxMsgSize xmlns="syncml:metinf">12a</MaxMsgSize></Meta>'), 'DM_ERR_BAD_SYNCML', 400, /not a decimal integer/);
  const m = decodeXml(utf8Encode(wrap('<Sync><CmdID>3</CmdID></Sync><Put><CmdID>4</CmdID></Put>')));
  assert.deepEqual(m.body, [
    { kind: 'Unsupported', name: 'Sync', cmdId: '3' },
    { kind: 'Unsupported', name: 'Put', cmdId: '4' },
  ]);
});

test("layout: whitespace between child elements is dropped, a leaf's whitespace and text beside elements are kept", () => {
  const el = parseXmlElement('<a>\n  <b>x</b>\n  <c> </c><!-- c -->\n  <d/>\n</a>');
  assert.deepEqual(el, {
    name: 'a',
    children: [
      { name: 'b', children: ['x'] },
      { name: 'c', children: [' '] },
      { name: 'd', children: [] },
    ],
  });
  assert.deepEqual(parseXmlElement('<a> t <b/> u </a>').children, [' t ', { name: 'b', children: [] }, ' u ']);
  assert.deepEqual(parseXmlElement('<a><b/>\n</a>').children, [{ name: 'b', children: [] }]);
  assert.deepEqual(parseXmlElement('<a>\n<b/></a>').children, [{ name: 'b', children: [] }]);
  assert.deepEqual(parseXmlElement('<a>\n</a>').children, ['\n']);
});
