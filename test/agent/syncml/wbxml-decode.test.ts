import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWbxml, decodeWbxmlMessage } from '../../../agent/syncml/wbxml-decode.js';
import { encodeWbxmlMessage } from '../../../agent/syncml/wbxml-encode.js';
import { DmError } from '../../../agent/errors.js';
import { sampleMessages } from '../../helpers/corpus.js';

const refuses = (bytes: number[] | Uint8Array, code: string, status: number, re?: RegExp) =>
  assert.throws(
    () => decodeWbxml(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)),
    (e: unknown) => e instanceof DmError && e.code === code && e.status === status && (!re || re.test(e.message)),
    `${code} ${re}`,
  );

// 02 A4 01 6A 00: WBXML 1.2, public id 0x1201, UTF-8, empty string table; 6D = SyncML with content.
const HDR = [0x02, 0xa4, 0x01, 0x6a];

test('header variants: 0x1201, the FPI in the string table, SyncML 1.1; others refused with 415', () => {
  assert.equal(decodeWbxml(new Uint8Array([...HDR, 0x00, 0x2d])).name, 'SyncML');
  const fpi = [...new TextEncoder().encode('-//SYNCML//DTD SyncML 1.2//EN'), 0];
  assert.equal(decodeWbxml(new Uint8Array([0x03, 0x00, 0x00, 0x6a, fpi.length, ...fpi, 0x2d])).name, 'SyncML');
  assert.equal(decodeWbxml(new Uint8Array([0x02, 0x9f, 0x53, 0x6a, 0x00, 0x2d])).name, 'SyncML');
  refuses([0x02, 0x9f, 0x51, 0x6a, 0x00, 0x2d], 'DM_ERR_WBXML_VERSION', 415, /0xfd1/);
  refuses([0x02, 0xa4, 0x01, 0x04, 0x00, 0x2d], 'DM_ERR_WBXML_VERSION', 415, /charset 4/);
  refuses([0x09, 0xa4, 0x01, 0x6a, 0x00, 0x2d], 'DM_ERR_WBXML_VERSION', 415, /version/);
});

test('refusals: string table out of bounds, truncation, unknown tokens, attributes, literals, bad integers, bad UTF-8', () => {
  refuses([...HDR, 0x02, 0x41, 0x00, 0x6d, 0x83, 0x05, 0x01], 'DM_ERR_BAD_WBXML', 400, /reference 5 out of bounds/);
  refuses([...HDR, 0x00, 0x6d, 0x6c], 'DM_ERR_BAD_WBXML', 400, /truncated|unterminated/);
  refuses([...HDR, 0x00, 0x6d, 0x30, 0x01], 'DM_ERR_BAD_WBXML', 400, /unknown tag token 0x30/);
  refuses([...HDR, 0x00, 0xad, 0x01], 'DM_ERR_BAD_WBXML', 400, /attributes/);
  refuses([...HDR, 0x00, 0x04, 0x00], 'DM_ERR_BAD_WBXML', 400, /literal/);
  refuses([...HDR, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 'DM_ERR_BAD_WBXML', 400, /5 bytes/);
  refuses([...HDR, 0x00, 0x6d, 0x03, 0xff, 0x00, 0x01], 'DM_ERR_BAD_SYNCML', 400, /UTF-8/);
  refuses([...HDR, 0x00, 0x6d, 0xc3, 0x10, 0x01], 'DM_ERR_BAD_WBXML', 400, /opaque data of 16 bytes/);
  refuses([...HDR, 0x00, 0x6d, 0x00, 0x07, 0x01], 'DM_ERR_BAD_WBXML', 400, /code page 7/);
  refuses([...HDR, 0x00, 0x2d, 0x2d], 'DM_ERR_BAD_WBXML', 400, /after the root/);
});

test('an ENTITY names a character XML allows, as a character reference does: NUL, controls and U+FFFE refused (found by fuzzing)', () => {
  // 6D SyncML, 02 ENTITY + mb_u_int32, 01 END.
  const entity = (cp: number[]) => decodeWbxml(new Uint8Array([...HDR, 0x00, 0x6d, 0x02, ...cp, 0x01])).children.join('');
  assert.equal(entity([0x41]), 'A');
  assert.equal(entity([0x09]), '\t');
  assert.equal(entity([0x83, 0xfb, 0x00]), '\u{fd80}');
  refuses([...HDR, 0x00, 0x6d, 0x02, 0x00, 0x01], 'DM_ERR_BAD_WBXML', 400, /entity 0 is not a character XML allows/);
  refuses([...HDR, 0x00, 0x6d, 0x02, 0x10, 0x01], 'DM_ERR_BAD_WBXML', 400, /entity 16 /);
  refuses([...HDR, 0x00, 0x6d, 0x02, 0x83, 0xff, 0x7e, 0x01], 'DM_ERR_BAD_WBXML', 400, /entity 65534 /);
  refuses([...HDR, 0x00, 0x6d, 0x02, 0x83, 0xb0, 0x00, 0x01], 'DM_ERR_BAD_WBXML', 400, /entity 55296 /);
});

test('limits: nesting and element count 413; size 413', () => {
  const deep = [...HDR, 0x00, ...Array(40).fill(0x68), ...Array(40).fill(0x01)];
  refuses(deep, 'DM_ERR_XML_LIMIT', 413, /deeper/);
  refuses(new Uint8Array(70000), 'DM_ERR_TOO_LARGE', 413);
  const many = [...HDR, 0x00, 0x6d, ...Array(9000).fill(0x12), 0x01];
  refuses(many, 'DM_ERR_XML_LIMIT', 413, /elements/);
});

test("a document nested to the depth limit decodes (no frame per level on the device's small stack); one level more is 413", () => {
  // SyncML (0x6d) with Data (0x4f) elements nested inside: 0x40 = with content, 0x01 = END.
  const nested = (n: number) => new Uint8Array([...HDR, 0x00, 0x6d, ...Array(n - 1).fill(0x4f), 0x03, 0x78, 0x00, ...Array(n).fill(0x01)]);
  let el = decodeWbxml(nested(32));
  for (let k = 1; k < 32; k++) el = el.children[0] as typeof el;
  assert.deepEqual(el.children, ['x']);
  refuses(nested(33), 'DM_ERR_XML_LIMIT', 413, /deeper than 32/);
});

test('every corpus message round-trips through our WBXML, with and without string table, binary as OPAQUE', () => {
  for (const { name, msg } of sampleMessages()) {
    for (const stringTable of [true, false]) {
      assert.deepEqual(decodeWbxmlMessage(encodeWbxmlMessage(msg, { stringTable })), msg, `${name} stringTable=${stringTable}`);
    }
  }
});
