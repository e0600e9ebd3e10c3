import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeWbxmlMessage } from '../../../agent/syncml/wbxml-encode.js';
import { decodeWbxmlMessage } from '../../../agent/syncml/wbxml-decode.js';
import type { ItemCmd } from '../../../agent/syncml/model.js';
import { messagesWithEdges, sampleMessages } from '../../helpers/corpus.js';

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
  assert.ok(
    [...b].some((x, k) => x === 0x00 && b[k + 1] === 0x00 && k > i),
    'switches back to page 0',
  );
});

const tableStrings = (b: Uint8Array): { offsets: Map<string, number>; bytes: Uint8Array } => {
  const bytes = b.subarray(5, 5 + b[4]!);
  const offsets = new Map<string, number>();
  for (let o = 0; o < bytes.length; ) {
    const end = bytes.indexOf(0, o);
    offsets.set(new TextDecoder().decode(bytes.subarray(o, end)), o);
    o = end + 1;
  }
  return { offsets, bytes };
};

test('a string that ends a table entry is referenced inside it, not stored again: "1.2" inside "DM/1.2"', () => {
  const b = encodeWbxmlMessage(pkg1);
  const { offsets } = tableStrings(b);
  assert.ok(offsets.has('DM/1.2'), `table: ${JSON.stringify([...offsets.keys()])}`);
  assert.ok(!offsets.has('1.2'), '1.2 is not an entry of its own');
  // VerDTD (page 0 token 0x31, with content 0x71) is STR_T (0x83) pointing 3 bytes into "DM/1.2".
  const verDtd = b.indexOf(0x71, 5 + b[4]!);
  assert.deepEqual([...b.subarray(verDtd, verDtd + 3)], [0x71, 0x83, offsets.get('DM/1.2')! + 3]);
  assert.deepEqual(decodeWbxmlMessage(b), pkg1);
});

test('tails are counted in UTF-8 bytes: a reference into "Zürich-Straße" lands on "Straße"', () => {
  const msg = structuredClone(pkg1);
  const replace = msg.body.find((c) => c.kind === 'Replace') as ItemCmd;
  replace.items[1]!.data = 'Zürich-Straße';
  replace.items[2]!.data = 'Straße';
  replace.items[4]!.data = 'Straße';
  const b = encodeWbxmlMessage(msg);
  const { offsets } = tableStrings(b);
  assert.ok(offsets.has('Zürich-Straße') && !offsets.has('Straße'), JSON.stringify([...offsets.keys()]));
  assert.deepEqual(decodeWbxmlMessage(b), msg);
});

test('a message written a command at a time is the WBXML of its whole element tree, string table and code pages included', async () => {
  const { encodeWbxml } = await import('../../../agent/syncml/wbxml-encode.js');
  const { messageToElement } = await import('../../../agent/syncml/map.js');
  for (const msg of messagesWithEdges()) {
    for (const stringTable of [true, false]) {
      assert.deepEqual(
        [...encodeWbxmlMessage(msg, { stringTable })],
        [...encodeWbxml(messageToElement(msg), { stringTable })],
        `${msg.hdr.msgId} table ${stringTable}`,
      );
    }
  }
});
