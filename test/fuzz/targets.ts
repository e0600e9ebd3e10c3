// What the fuzzer runs and what it checks. Each target takes one input and returns a short signature of
// what happened (used as feedback: an input with a new signature joins the mutation pool), or throws a
// Finding when an invariant breaks:
//  - the decoders return a message or throw a DmError, never anything else;
//  - the session never throws, answers every package with a message or ends, and a package it refuses
//    (undecodable) leaves the DM tree exactly as it was.
import { nodeCrypto } from '../../platform/node/crypto.js';
import { DmError } from '../../agent/errors.js';
import type { Crypto } from '../../agent/ports.js';
import { decodeXml } from '../../agent/syncml/xml-decode.js';
import { decodeWbxmlMessage } from '../../agent/syncml/wbxml-decode.js';
import { decodeMessage, encodeMessage } from '../../agent/syncml/codec.js';
import { Session } from '../../agent/session/session.js';
import { ExecRegistry } from '../../agent/session/types.js';
import { seedTree } from '../../agent/tree/seed.js';
import { readAccount } from '../../agent/tree/dmacc.js';
import { serializeTree } from '../../agent/tree/persist-format.js';
import { parseDeviceDescription } from '../../agent/tree/device-description.js';
import { ALERT_TYPE_USER_REQUEST } from '../../agent/alerts/types.js';
import { sampleMessages } from '../helpers/corpus.js';

export class Finding extends Error {}

/**
 * A case that takes longer than this hangs, or blows up on its input: a finding. A thousand times the
 * slowest case fuzz runs have seen (under 10 ms), so that a loaded machine does not make one.
 */
export const CASE_BUDGET_MS = 10_000;

/** The promise's outcome, or a Finding when it has not settled within `ms` (a hang: awaited forever). */
export async function settleWithin<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Finding(`${what} did not settle within ${ms} ms: a hang`)), ms);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

const crypto: Crypto = nodeCrypto;

function expectDmError(e: unknown, where: string): string {
  // The message's shape (numbers blanked) tells apart the decoder's many ways of refusing: better feedback.
  if (e instanceof DmError) return `${e.code}/${e.status}/${e.message.replace(/\d+/g, 'N').replace(/'[^']*'/g, 'S').slice(0, 60)}`;
  throw new Finding(`${where} threw a non-DmError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
}

export function xmlTarget(input: Uint8Array): string {
  try {
    const m = decodeXml(input);
    return `ok/${m.body.map((c) => c.kind).join(',')}`;
  } catch (e) {
    return expectDmError(e, 'decodeXml');
  }
}

export function wbxmlTarget(input: Uint8Array): string {
  try {
    const m = decodeWbxmlMessage(input);
    return `ok/${m.body.map((c) => c.kind).join(',')}`;
  } catch (e) {
    return expectDmError(e, 'decodeWbxml');
  }
}

const desc = parseDeviceDescription({
  devInfo: { devId: 'IMEI:493005100592800', man: 'ExampleCo', mod: 'TS-Agent-1' },
  account: { serverId: 'labserver', serverUri: 'http://127.0.0.1:8080/dm', auth: { type: 'md5', username: 'dmuser', password: 'dmpass' } },
  components: [{ node: 'app1', id: 'com.example.app1', name: 'Weather', version: '1.0' }],
});

/** Server packages of the corpus (seeds for the session target), in both encodings. */
export function serverSeeds(): Uint8Array[] {
  const server = sampleMessages().filter((s) => s.msg.hdr.target.locURI.startsWith('IMEI'));
  return server.flatMap((s) => [encodeMessage(s.msg, 'xml'), encodeMessage(s.msg, 'wbxml')]);
}

/**
 * One session: package 1 out, then up to `replies.length` server packages in. Every reply is checked
 * against the invariants; the signature is the sequence of session states and first error code.
 */
export async function sessionTarget(replies: Uint8Array[]): Promise<string> {
  const tree = seedTree(desc);
  const session = new Session({
    tree, account: readAccount(tree), devId: desc.devInfo.devId, crypto, encoding: 'xml', sessionId: '1A2B',
    alerts: [{ id: 'a1', type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '', source: './SCOMO/Inventory/Deployed/app1' }],
    exec: new ExecRegistry(),
    ui: { answer: async (a) => ({ status: 200, items: a.data === '1102' ? [{ data: '1234' }] : a.data === '1103' || a.data === '1104' ? [{ data: '1' }] : [] }) },
  });
  const states: string[] = [];
  let out;
  try {
    out = session.nextMessage();
  } catch (e) {
    throw new Finding(`nextMessage threw before any input: ${String(e)}`);
  }
  for (const reply of replies) {
    if (!out) break;
    let decodable = true;
    try { decodeMessage(reply); } catch { decodable = false; }
    const before = serializeTree((tree.snapshot() as { root: Parameters<typeof serializeTree>[0] }).root);
    try {
      await settleWithin(session.receive({ body: reply }), CASE_BUDGET_MS, 'session.receive');
    } catch (e) {
      if (e instanceof Finding) throw e;
      throw new Finding(`session.receive threw: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    }
    if (!decodable && serializeTree((tree.snapshot() as { root: Parameters<typeof serializeTree>[0] }).root) !== before) throw new Finding('an undecodable package changed the tree');
    try {
      out = session.nextMessage();
    } catch (e) {
      throw new Finding(`session.nextMessage threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    const o = session.outcome;
    states.push(`${o.state}${o.error ? ':' + o.error.code : ''}`);
    if (out) {
      let sent;
      try { sent = decodeMessage(out.body); } catch (e) { throw new Finding(`the session sent a message it cannot decode itself: ${String(e)}`); }
      // What the device answered (command and status) is the feedback that steers mutations into command handling.
      states.push([...new Set(sent.body.map((c) => (c.kind === 'Status' ? `${c.cmd}=${c.data}` : c.kind)))].sort().join(','));
    }
  }
  return states.join('>');
}
