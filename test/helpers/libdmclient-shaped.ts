// A scripted DM client that sends what libdmclient (Intel's OMA DM 1.2 client in C, tests/client/testdmclient)
// sends, so that the lab server's interop with it stays fixed without building it. Read from libdmclient's
// source and from its messages to the lab server, what makes it differ from this project's agent:
//   * no Source/LocName in its SyncHdr: the account is found by the basic credential's user or the DevId;
//   * SyncML DS media types on HTTP (application/vnd.syncml+xml, +wbxml), not the DM ones;
//   * the same SessionID (1) in every session;
//   * nonces kept in memory only (its test DMAcc cannot store them): each session starts from an empty one,
//     both for its own credential and for checking the server's;
//   * it checks the server's credential (SRVCRED, MD5) on every message that carries one and answers the
//     SyncHdr with 212 or 401 plus a Chal with a new nonce; while the server is not authenticated it answers
//     every command with that same code (401, without a Chal), or 0 when the server sent no credential;
//   * on a 401/407 to its own credential it sends again exactly those of its commands the server answered
//     401 or 407 (callbacks.c, prv_status_cmd_cb); a command answered otherwise (215 …) is dropped for good,
//     and with nothing left to send the run ends there.
// It builds its messages with the project's codec and speaks through `post`: the server's handle() in
// process, or HTTP to 127.0.0.1. One instance is one session, as one run of testdmclient is.
import type { AlertCmd, Command, Cred, Item, ItemCmd, StatusCmd, SyncMLMessage } from '../../agent/syncml/model.js';
import { AlertCode, MIME_WBXML, MIME_XML } from '../../agent/syncml/model.js';
import { decodeMessage, encodeMessage, type Encoding } from '../../agent/syncml/codec.js';
import { AUTH_BASIC, AUTH_MD5, basicCred, md5Digest } from '../../agent/session/auth.js';
import { base64Decode, base64Encode } from '../../agent/util/bytes.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { nodeUtf8 } from '../../platform/node/utf8.js';
import type { LabDmServer } from '../../lab/server/dm-server.js';

export const LIBDM_DEV_ID = 'DMCtest';
export const LIBDM_SESSION_ID = '1';
export const DS_XML = 'application/vnd.syncml+xml';
export const DS_WBXML = 'application/vnd.syncml+wbxml';

/** One HTTP-like exchange: the body and Content-Type sent, the status and body received. */
export type Post = (body: Uint8Array, contentType: string) => Promise<{ status: number; body: Uint8Array }>;

export interface LibdmShapedOptions {
  post: Post;
  /** The server URI (SyncHdr Target), as the DMAcc's AppAddr gives it. */
  serverUri: string;
  encoding: Encoding;
  /** Its credential to the server (DMAcc AppAuth CLCRED): BASIC or DIGEST (md5). */
  auth: { type: 'basic' | 'md5'; username: string; password: string };
  /** The server's credential it checks (DMAcc AppAuth SRVCRED, DIGEST); none: it does not check. */
  serverAuth?: { username: string; password: string };
  devId?: string;
  /** Generic Alert types added to package 1 (omadmclient_add_generic_alert), e.g. an update request. */
  alerts?: string[];
  /** Leaves of its tree besides DevInfo, e.g. a SCOMO inventory; interior nodes follow from the paths. */
  tree?: Record<string, string>;
  /** Its answer to a confirm alert (1101): 200 yes, 304 no. */
  confirm?: 200 | 304;
  /** Send the DM media types instead of libdmclient's DS ones (to test one difference at a time). */
  dmMediaTypes?: boolean;
}

export interface ShapedExchange {
  sent: SyncMLMessage;
  contentType: string;
  httpStatus: number;
  received?: SyncMLMessage;
}

export interface ShapedSession {
  exchanges: ShapedExchange[];
  /** The server's last Status for the client's SyncHdr. */
  clientAuth: string | undefined;
  /** The server answered the client's credential with 212 (authenticated for the session). */
  authenticated: boolean;
  /** The client's last verdict on the server's credential (212: accepted). */
  serverAuth: number;
  /** The server ended the session: a Final message with no command and no challenge. */
  ended: boolean;
  /** The codes it answered the server's commands with, as `Cmd code` (e.g. `Get 401`), in order. */
  answers: string[];
}

const DEVINFO: Record<string, string> = {
  './DevInfo/DevId': LIBDM_DEV_ID,
  './DevInfo/Man': 'test manufacturer',
  './DevInfo/Mod': 'test model',
  './DevInfo/DmV': '1.0',
  './DevInfo/Lang': 'test language',
};

const MAX_MESSAGES = 24;

/** Runs one session, as one run of testdmclient does. */
export async function runLibdmShapedSession(o: LibdmShapedOptions): Promise<ShapedSession> {
  const devId = o.devId ?? LIBDM_DEV_ID;
  const tree = { ...DEVINFO, './DevInfo/DevId': devId, ...(o.tree ?? {}) };
  const contentType = o.dmMediaTypes ? (o.encoding === 'xml' ? MIME_XML : MIME_WBXML) : o.encoding === 'xml' ? DS_XML : DS_WBXML;
  const session: ShapedSession = {
    exchanges: [],
    clientAuth: undefined,
    authenticated: false,
    serverAuth: o.serverAuth ? 0 : 212,
    ended: false,
    answers: [],
  };
  // Its nonces start empty in every session: the test DMAcc keeps no AAuthData.
  let clientNonce: Uint8Array = new Uint8Array(0);
  let serverNonce: Uint8Array = new Uint8Array(0);
  let msgId = 0;
  let pending: Command[] = [];
  // Its own commands (not Status or Results) to send: package 1 first, then those the server asks again.
  let again: Command[] = package1(tree, o.alerts ?? []);
  while (session.exchanges.length < MAX_MESSAGES) {
    const body: Command[] = [...pending, ...again];
    let n = 0;
    for (const c of body) c.cmdId = String(++n);
    const msg: SyncMLMessage = {
      hdr: {
        verDTD: '1.2',
        verProto: 'DM/1.2',
        sessionId: LIBDM_SESSION_ID,
        msgId: String(++msgId),
        target: { locURI: o.serverUri },
        source: { locURI: devId }, // no LocName
        meta: { maxMsgSize: 16384 },
      },
      body,
      final: true,
    };
    if (!session.authenticated) msg.hdr.cred = clientCred(o.auth, clientNonce);
    const r = await o.post(encodeMessage(msg, o.encoding, nodeUtf8), contentType);
    const ex: ShapedExchange = { sent: msg, contentType, httpStatus: r.status };
    session.exchanges.push(ex);
    if (r.status !== 200) return session; // testdmclient stops on any other HTTP status
    const reply = decodeMessage(r.body, nodeUtf8);
    ex.received = reply;
    pending = [];
    const mine = new Map(again.map((c) => [c.cmdId, c]));
    again = [];
    let challenged = false;
    // The server's SyncHdr: its credential checked when it carries one, answered with a new nonce.
    const hdrStatus: StatusCmd = status(reply.hdr.msgId, '0', 'SyncHdr', session.serverAuth);
    hdrStatus.targetRefs = [reply.hdr.target.locURI];
    hdrStatus.sourceRefs = [reply.hdr.source.locURI];
    if (reply.hdr.cred && o.serverAuth) {
      const expected = md5Digest(nodeCrypto, o.serverAuth.username, o.serverAuth.password, serverNonce);
      session.serverAuth = reply.hdr.cred.data === expected ? 212 : 401;
      hdrStatus.data = String(session.serverAuth);
      serverNonce = nodeCrypto.randomBytes(8);
      hdrStatus.chal = { meta: { type: AUTH_MD5, format: 'b64', nextNonce: base64Encode(serverNonce) } };
    }
    pending.push(hdrStatus);
    let commands = 0;
    for (const c of reply.body) {
      if (c.kind === 'Status') {
        if (c.cmdRef === '0') {
          session.clientAuth = c.data;
          if (c.data === '212') session.authenticated = true;
          if (c.data === '401' || c.data === '407') {
            if (c.chal?.meta.nextNonce !== undefined) clientNonce = base64Decode(c.chal.meta.nextNonce);
            challenged = true;
          }
        } else if ((c.data === '401' || c.data === '407') && c.msgRef === msg.hdr.msgId && mine.has(c.cmdRef)) {
          again.push(mine.get(c.cmdRef)!);
        }
        continue;
      }
      commands++;
      if (session.serverAuth !== 212) {
        pending.push(status(reply.hdr.msgId, c.cmdId, nameOf(c), session.serverAuth));
        session.answers.push(`${nameOf(c)} ${session.serverAuth}`);
        continue;
      }
      const answered = execute(reply.hdr.msgId, c, tree, o.confirm ?? 304);
      session.answers.push(`${nameOf(c)} ${answered[0]!.kind === 'Status' ? (answered[0] as StatusCmd).data : ''}`);
      pending.push(...answered);
    }
    if (challenged && again.length === 0 && commands === 0) return session; // nothing left to send: the run ends, unfinished
    if (reply.final && commands === 0 && !challenged) {
      session.ended = true;
      return session;
    }
  }
  return session;
}

/** An adapter: the lab server's transport-free core, given the Content-Type as HTTP would. */
export function postTo(server: LabDmServer, uri: string): Post {
  return async (body, contentType) => {
    const r = await server.handle(body, { uri, contentType });
    return r ? { status: r.status ?? 200, body: r.body } : { status: 503, body: new Uint8Array(0) };
  };
}

/** An adapter: HTTP POST to the lab server's DM URL (127.0.0.1 only). */
export function postHttp(url: string): Post {
  if (!/^https?:\/\/127\.0\.0\.1[:/]/.test(url)) throw new Error(`postHttp: ${url} is not on 127.0.0.1`);
  return async (body, contentType) => {
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': contentType }, body });
    return { status: r.status, body: new Uint8Array(await r.arrayBuffer()) };
  };
}

function clientCred(auth: LibdmShapedOptions['auth'], nonce: Uint8Array): Cred {
  return auth.type === 'basic'
    ? { meta: { format: 'b64', type: AUTH_BASIC }, data: basicCred(auth.username, auth.password) }
    : { meta: { format: 'b64', type: AUTH_MD5 }, data: md5Digest(nodeCrypto, auth.username, auth.password, nonce) };
}

/** Package 1: Alert 1201, the DevInfo leaves in one Replace (Source, chr, text/plain), its Generic Alerts. */
function package1(tree: Record<string, string>, alerts: string[]): Command[] {
  const devInfo: Item[] = Object.entries(tree)
    .filter(([uri]) => uri.startsWith('./DevInfo/'))
    .map(([uri, data]) => ({ source: { locURI: uri }, meta: { format: 'chr', type: 'text/plain' }, data }));
  const out: Command[] = [
    { kind: 'Alert', cmdId: '', data: AlertCode.ClientInitiated, items: [] },
    { kind: 'Replace', cmdId: '', items: devInfo },
  ];
  for (const type of alerts) {
    const alert: AlertCmd = { kind: 'Alert', cmdId: '', data: AlertCode.Generic, items: [{ meta: { type, format: 'chr' }, data: ' ' }] };
    out.push(alert);
  }
  return out;
}

function status(msgRef: string, cmdRef: string, cmd: string, code: number | string): StatusCmd {
  return { kind: 'Status', cmdId: '', msgRef, cmdRef, cmd, targetRefs: [], sourceRefs: [], items: [], data: String(code) };
}

function nameOf(c: Command): string {
  return c.kind === 'Unsupported' ? c.name : c.kind;
}

/** A server command run on the small tree: its Status (libdmclient puts no TargetRef on a Get's) and Results. */
function execute(msgRef: string, c: Command, tree: Record<string, string>, confirm: 200 | 304): Command[] {
  const s = status(msgRef, c.cmdId, nameOf(c), 200);
  switch (c.kind) {
    case 'Alert':
      if (c.data === AlertCode.Confirm) s.data = String(confirm);
      else if (c.data === AlertCode.SingleChoice || c.data === AlertCode.MultipleChoice) s.items = [{ data: '1' }];
      return [s];
    case 'Get':
      return get(c, s, tree);
    case 'Add':
    case 'Replace':
      for (const it of c.items) if (it.target?.locURI !== undefined && typeof it.data === 'string') tree[it.target.locURI] = it.data;
      return [s];
    case 'Exec':
      s.data = '202';
      return [s];
    default:
      s.data = '406';
      return [s];
  }
}

function get(c: ItemCmd, s: StatusCmd, tree: Record<string, string>): Command[] {
  const items: Item[] = [];
  for (const it of c.items) {
    const uri = it.target?.locURI ?? '';
    if (uri.includes('?')) {
      s.data = '406'; // no tree exchange (?list=StructData)
      return [s];
    }
    if (tree[uri] !== undefined) {
      items.push({ source: { locURI: uri }, meta: { format: 'chr', type: 'text/plain' }, data: tree[uri] });
      continue;
    }
    const children = [
      ...new Set(Object.keys(tree).flatMap((k) => (k.startsWith(`${uri}/`) ? [k.slice(uri.length + 1).split('/')[0]!] : []))),
    ];
    if (children.length === 0) {
      s.data = '404';
      return [s];
    }
    items.push({ source: { locURI: uri }, meta: { format: 'node' }, data: children.join('/') });
  }
  return [s, { kind: 'Results', cmdId: '', msgRef: s.msgRef, cmdRef: s.cmdRef, items }];
}
