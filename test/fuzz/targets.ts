// What the fuzzer runs and what it checks. Each target takes one input and returns a short signature of
// what happened (used as feedback: an input with a new signature joins the mutation pool), or throws a
// Finding when an invariant breaks:
//  - the decoders return a message or throw a DmError, never anything else, and a message they return is
//    written again in XML and WBXML and reads back the same (roundTrip);
//  - the session never throws, answers every package with a message or ends, and a package it refuses
//    (undecodable, or from a server that did not authenticate) leaves the DM tree exactly as it was.
import { isDeepStrictEqual } from 'node:util';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { DmError } from '../../agent/errors.js';
import type { Crypto } from '../../agent/ports.js';
import { decodeXml } from '../../agent/syncml/xml-decode.js';
import { decodeWbxmlMessage } from '../../agent/syncml/wbxml-decode.js';
import { decodeMessage, encodeMessage } from '../../agent/syncml/codec.js';
import { Session } from '../../agent/session/session.js';
import { ExecRegistry } from '../../agent/session/types.js';
import { seedTree } from '../../agent/description/seed.js';
import { seedFumo } from '../../agent/fumo/subtree.js';
import { readAccount, writeNonce } from '../../agent/tree/dmacc.js';
import { clientCred, hmacHeader } from '../../agent/session/auth.js';
import type { Command, StatusCmd, SyncMLMessage } from '../../agent/syncml/model.js';
import { base64Decode, base64Encode } from '../../agent/util/bytes.js';
import { serializeTree } from '../../agent/tree/persist-format.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
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
  if (e instanceof DmError)
    return `${e.code}/${e.status}/${e.message
      .replace(/\d+/g, 'N')
      .replace(/'[^']*'/g, 'S')
      .slice(0, 60)}`;
  throw new Finding(`${where} threw a non-DmError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
}

export function xmlTarget(input: Uint8Array): string {
  let m: SyncMLMessage;
  try {
    m = decodeXml(input);
  } catch (e) {
    return expectDmError(e, 'decodeXml');
  }
  roundTrip(m, 'XML');
  return `ok/${m.body.map((c) => c.kind).join(',')}`;
}

export function wbxmlTarget(input: Uint8Array): string {
  let m: SyncMLMessage;
  try {
    m = decodeWbxmlMessage(input);
  } catch (e) {
    return expectDmError(e, 'decodeWbxml');
  }
  roundTrip(m, 'WBXML');
  return `ok/${m.body.map((c) => c.kind).join(',')}`;
}

const hasUnsupported = (cs: Command[]): boolean =>
  cs.some((c) => c.kind === 'Unsupported' || ((c.kind === 'Atomic' || c.kind === 'Sequence') && hasUnsupported(c.commands)));

/**
 * What writing a message as XML changes by design: characters XML cannot carry become U+FFFD, and bytes
 * (WBXML opaque data) become their base64 text.
 */
function asXmlCarriesIt(x: unknown): unknown {
  if (typeof x === 'string') return x.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\ufffd');
  if (x instanceof Uint8Array) return base64Encode(x);
  if (Array.isArray(x)) return x.map(asXmlCarriesIt);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, asXmlCarriesIt(v)]));
  return x;
}

/**
 * A message a decoder took, written again in each encoding, reads back as the same message: what the
 * codec reads it can write (the device echoes server data: Status refs, Results of values a server set).
 * Messages with commands the codec only reads (a Sync, an Atomic inside an Atomic) are not written.
 */
function roundTrip(m: SyncMLMessage, from: string): void {
  if (hasUnsupported(m.body)) return;
  for (const encoding of ['xml', 'wbxml'] as const) {
    let again: SyncMLMessage;
    try {
      again = decodeMessage(encodeMessage(m, encoding));
    } catch (e) {
      throw new Finding(`a message read from ${from} does not read back from ${encoding}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const same = encoding === 'wbxml' ? isDeepStrictEqual(again, m) : isDeepStrictEqual(asXmlCarriesIt(again), asXmlCarriesIt(m));
    if (!same) throw new Finding(`a message read from ${from} reads back from ${encoding} as another message`);
  }
}

const device = (auth: object, serverAuth?: object) =>
  parseDeviceDescription({
    devInfo: { devId: 'IMEI:493005100592800', man: 'ExampleCo', mod: 'TS-Agent-1' },
    account: { serverId: 'labserver', serverUri: 'http://127.0.0.1:8080/dm', auth, ...(serverAuth ? { serverAuth } : {}) },
    components: [{ node: 'app1', id: 'com.example.app1', name: 'Weather', version: '1.0' }],
  });

/** The server's credential to the fuzzed device, and the first nonce it knows (as a factory would set it). */
const SERVER = { username: 'labserver', password: 'srvpass' };
const SERVER_NONCE: Uint8Array = new TextEncoder().encode('server-factory-1');

/**
 * The accounts a session case runs with: the server's credential unchecked, then checked with each scheme
 * (HMAC twice: with packages the harness signs, as the server would, and unsigned), so that server
 * credentials, mutated or missing, reach the code that judges them.
 */
export const SESSION_ACCOUNTS = [
  device({ type: 'md5', username: 'dmuser', password: 'dmpass' }),
  ...(['md5', 'hmac', 'basic', 'hmac'] as const).map((type) =>
    device(
      { type: type === 'basic' ? 'basic' : 'md5', username: 'dmuser', password: 'dmpass' },
      { type, ...SERVER, nonce: base64Encode(SERVER_NONCE) },
    ),
  ),
];
/** The account whose server packages the harness signs with x-syncml-hmac. */
export const SIGNED_ACCOUNT = 2;

/** A session case as a finding keeps it: the account and every server package, so that a replay is the case. */
export interface SessionCase {
  account: number;
  replies: Uint8Array[];
}

export function writeSessionCase(c: SessionCase): string {
  return `${JSON.stringify({ account: c.account, replies: c.replies.map((r) => Buffer.from(r).toString('base64')) })}\n`;
}

export function readSessionCase(text: string): SessionCase {
  const j = JSON.parse(text) as { account: number; replies: string[] };
  return { account: j.account, replies: j.replies.map((r) => new Uint8Array(Buffer.from(r, 'base64'))) };
}

/**
 * Server packages of the corpus (seeds for the session target), in both encodings, as they are and with the
 * server's MD5 and basic credentials for the first nonce (valid in a first reply to those accounts). A
 * package of Gets also comes with a small MaxMsgSize, so that the answer is split over messages.
 */
export function serverSeeds(): Uint8Array[] {
  const corpus = sampleMessages().filter((s) => s.msg.hdr.target.locURI.startsWith('IMEI'));
  const small = corpus
    .filter((s) => s.msg.body.some((c) => c.kind === 'Get'))
    .map((s) => ({ ...s, msg: { ...s.msg, hdr: { ...s.msg.hdr, meta: { ...s.msg.hdr.meta, maxMsgSize: 1100 } } } }));
  const server = [...corpus, ...small];
  const creds = [
    undefined,
    ...(['DIGEST', 'BASIC'] as const).map((type) =>
      clientCred(crypto, { type, name: SERVER.username, secret: SERVER.password, nonce: SERVER_NONCE }),
    ),
  ];
  return server.flatMap((s) =>
    creds.flatMap((cred) => {
      const msg = cred ? { ...s.msg, hdr: { ...s.msg.hdr, cred } } : s.msg;
      return [encodeMessage(msg, 'xml'), encodeMessage(msg, 'wbxml')];
    }),
  );
}

/**
 * One session: package 1 out, then up to `replies.length` server packages in. Every reply is checked
 * against the invariants; the signature is the sequence of session states and first error code. The
 * device's answers go to `sent` when given (for a check against the DTD, in batches).
 */
export async function sessionTarget(replies: Uint8Array[], account = 0, sent?: Uint8Array[]): Promise<string> {
  const desc = SESSION_ACCOUNTS[account];
  if (!desc) throw new RangeError(`no session account ${account}`);
  const tree = seedTree(desc);
  // The FUMO MO as a device with firmware slots lays it: the seeds' Replace and Exec of ./FUMO meet its ACLs.
  seedFumo(tree, { name: desc.devInfo.mod, version: '1.0.0' });
  const dmAccount = readAccount(tree);
  const session = new Session({
    tree,
    account: dmAccount,
    devId: desc.devInfo.devId,
    crypto,
    encoding: 'xml',
    sessionId: '1A2B',
    saveNonce: (which, nonce) => writeNonce(tree, dmAccount, which, nonce),
    alerts: [{ id: 'a1', type: ALERT_TYPE_USER_REQUEST, format: 'chr', data: '', source: './SCOMO/Inventory/Deployed/app1' }],
    exec: new ExecRegistry(),
    ui: {
      answer: async (a) => ({
        status: 200,
        items: a.data === '1102' ? [{ data: '1234' }] : a.data === '1103' || a.data === '1104' ? [{ data: '1' }] : [],
      }),
    },
  });
  const states: string[] = [];
  // The nonce the device last gave the server (its Chal), for the packages the harness signs.
  let serverNonce: Uint8Array = SERVER_NONCE;
  let out;
  try {
    out = session.nextMessage();
  } catch (e) {
    throw new Finding(`nextMessage threw before any input: ${String(e)}`);
  }
  for (const reply of replies) {
    if (!out) break;
    let decodable = true;
    try {
      decodeMessage(reply);
    } catch {
      decodable = false;
    }
    const before = serializeTree((tree.snapshot() as { root: Parameters<typeof serializeTree>[0] }).root);
    try {
      const hmac = account === SIGNED_ACCOUNT ? hmacHeader(crypto, SERVER.username, SERVER.password, serverNonce, reply) : undefined;
      await settleWithin(session.receive({ body: reply, ...(hmac ? { hmac } : {}) }), CASE_BUDGET_MS, 'session.receive');
    } catch (e) {
      if (e instanceof Finding) throw e;
      throw new Finding(`session.receive threw: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    }
    const after = serializeTree((tree.snapshot() as { root: Parameters<typeof serializeTree>[0] }).root);
    if (!decodable && after !== before) throw new Finding('an undecodable package changed the tree');
    try {
      out = session.nextMessage();
    } catch (e) {
      throw new Finding(`session.nextMessage threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    const o = session.outcome;
    states.push(`${o.state}${o.error ? `:${o.error.code}` : ''}`);
    if (out) {
      sent?.push(out.body);
      let answer;
      try {
        answer = decodeMessage(out.body);
      } catch (e) {
        throw new Finding(`the session sent a message it cannot decode itself: ${String(e)}`);
      }
      const hdrStatus = answer.body.find((c): c is StatusCmd => c.kind === 'Status' && c.cmdRef === '0');
      // A server that did not authenticate changes nothing, not even the nonce the device keeps for itself.
      if ((hdrStatus?.data === '401' || hdrStatus?.data === '407') && after !== before) {
        throw new Finding(`a package from a server that did not authenticate (${hdrStatus.data}) changed the tree`);
      }
      const chal = hdrStatus?.chal?.meta.nextNonce;
      if (chal !== undefined) serverNonce = base64Decode(chal);
      // What the device answered (command and status) is the feedback that steers mutations into command handling.
      states.push([...new Set(answer.body.map((c) => (c.kind === 'Status' ? `${c.cmd}=${c.data}` : c.kind)))].sort().join(','));
    }
  }
  return states.join('>');
}
