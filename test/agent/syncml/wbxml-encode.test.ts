import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeWbxmlMessage } from '../../../agent/syncml/wbxml-encode.js';
import { sampleMessages } from '../../helpers/corpus.js';

const pkg1 = sampleMessages().find((c) => c.name === 'pkg1-user-component')!.msg;

test('header bytes: WBXML 1.2, public id 0x1201 (A4 01), UTF-8 (6A); root SyncML with content (6D)', () => {
  const b = encodeWbxmlMessage(pkg1, { stringTable: false });
  assert.deepEqual([...b.subarray(0, 6)], [0x02, 0xa4, 0x01, 0x6a, 0x00, 0x6d]);
  const t = encodeWbxmlMessage(pkg1);
  assert.deepEqual([...t.subarray(0, 4)], [0x02, 0xa4, 0x01, 0x6a]);
  assert.ok(t[4]! > 0, 'string table present');
});

test('the string table shares repeated strings and URI prefixes and makes package 1 smaller', () => {
  const plain = encodeWbxmlMessage(pkg1, { stringTable: false });
  const shared = encodeWbxmlMessage(pkg1);
  assert.ok(shared.length < plain.length, `${shared.length} < ${plain.length}`);
  const table = new TextDecoder().decode(shared.subarray(5, 5 + shared[4]!)).split('\u0000');
  assert.ok(table.includes('./DevInfo/'), `table: ${JSON.stringify(table)}`);
  assert.ok(table.includes('IMEI:493005100592800'), 'DevId used twice');
});

test('MetInf elements switch to code page 1 and back', () => {
  const b = encodeWbxmlMessage(pkg1, { stringTable: false });
  const i = b.indexOf(0x00, 6); // first SWITCH_PAGE after the header
  assert.equal(b[i + 1], 0x01);
  assert.ok([...b].some((x, k) => x === 0x00 && b[k + 1] === 0x00 && k > i), 'switches back to page 0');
});
