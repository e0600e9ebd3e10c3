import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUiAlert } from '../../../agent/ui/request.js';
import { DmError } from '../../../agent/errors.js';

test('texts carried as bytes (WBXML OPAQUE) are UTF-8: accents, symbols and long texts come out whole', () => {
  const long = `Météo 2.0 — ${'ü€'.repeat(400)}`;
  const bytes = (s: string) => new TextEncoder().encode(s);
  const r = parseUiAlert({
    kind: 'Alert',
    cmdId: '3',
    data: '1103',
    items: [{ data: bytes('MINDT=30') }, { data: bytes(long) }, { data: bytes('Oui') }, { data: 'Non' }],
  });
  assert.equal(r.text, long);
  assert.deepEqual(r.choices, ['Oui', 'Non']);
});

test('bytes that are not UTF-8 are a 400, not a garbled text', () => {
  assert.throws(
    () => parseUiAlert({ kind: 'Alert', cmdId: '3', data: '1100', items: [{ data: '' }, { data: new Uint8Array([0x41, 0xff]) }] }),
    (e: unknown) => e instanceof DmError && e.status === 400,
  );
});
