// Shared test fixtures for the lab server: hand-built device messages (through the agent's codec) and a
// server over the example catalog with a log that tests can read.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { ComponentInfo } from '../../../agent/ports.js';
import type { AlertCmd, Command, Cred, ResultsCmd, StatusCmd, SyncMLMessage } from '../../../agent/syncml/model.js';
import { MIME_XML } from '../../../agent/syncml/model.js';
import { decodeMessage, encodeMessage } from '../../../agent/syncml/codec.js';
import { md5Digest } from '../../../agent/session/auth.js';
import { base64Decode } from '../../../agent/util/bytes.js';
import { nodeCrypto } from '../../../platform/node/crypto.js';
import { loadCatalog, type Catalog } from '../../../lab/server/catalog.js';
import { LabDmServer, type LabDmServerOptions } from '../../../lab/server/dm-server.js';
import type { DeviceAccount } from '../../../lab/server/auth.js';
import { repoRoot } from '../../helpers/peers.js';
import { FakeDownloader } from '../../helpers/fake-downloader.js';
import { FakeInstaller } from '../../helpers/fake-installer.js';
import { withDefined } from '../../../agent/util/options.js';

export const DEV_ID = 'IMEI:493005100592800';
export const SERVER_URI = 'http://127.0.0.1:8080/dm';
export const PKG_BASE = 'http://127.0.0.1:8080/packages';
export const USER_REQ = 'urn:oma:at:scomo:1.1:UpdateUserRequest';
export const DEVICE_REQ = 'urn:oma:at:scomo:1.1:UpdateDeviceRequest';
export const OP_COMPLETE = 'urn:oma:at:scomo:1.0:OperationComplete';

export function exampleCatalog(): Catalog {
  return loadCatalog(join(repoRoot, 'lab', 'examples', 'catalog.json'));
}

export const MD5_ACCOUNT: DeviceAccount = { username: 'dmuser', password: 'dmpass', auth: 'md5' };

export interface TestServer {
  server: LabDmServer;
  logs: string[];
}

export function makeServer(over: Partial<LabDmServerOptions> = {}): TestServer {
  const logs: string[] = [];
  const server = new LabDmServer({
    catalog: exampleCatalog(),
    devices: [MD5_ACCOUNT],
    serverId: 'labserver',
    serverUri: SERVER_URI,
    packageBaseUrl: PKG_BASE,
    log: { log: (level, message) => logs.push(`${level}: ${message}`) },
    ...over,
  });
  return { server, logs };
}

export function md5Cred(nonceB64: string, user = 'dmuser', pass = 'dmpass'): Cred {
  return { meta: { format: 'b64', type: 'syncml:auth-md5' }, data: md5Digest(nodeCrypto, user, pass, base64Decode(nonceB64)) };
}

export function devMsg(o: {
  sessionId?: string;
  msgId: number;
  cred?: Cred;
  body: Command[];
  final?: boolean;
  locName?: string | null;
  maxMsgSize?: number;
  devId?: string;
}): SyncMLMessage {
  let n = 0;
  const body = o.body.map((c) => ({ ...c, cmdId: String(++n) })) as Command[];
  const msg: SyncMLMessage = {
    hdr: {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: o.sessionId ?? '1A2B',
      msgId: String(o.msgId),
      target: { locURI: SERVER_URI },
      source: { locURI: o.devId ?? DEV_ID },
    },
    body,
    final: o.final ?? true,
  };
  if (o.locName !== null) msg.hdr.source.locName = o.locName ?? 'dmuser';
  if (o.cred) msg.hdr.cred = o.cred;
  if (o.maxMsgSize) msg.hdr.meta = { maxMsgSize: o.maxMsgSize };
  return msg;
}

/** Package 1: Alert 1201, Replace DevInfo, and the given Generic Alerts. */
export function pkg1Body(alerts: AlertCmd[] = []): Command[] {
  return [
    { kind: 'Alert', cmdId: '', data: '1201', items: [] },
    {
      kind: 'Replace',
      cmdId: '',
      meta: { format: 'chr' },
      items: [
        { source: { locURI: './DevInfo/DevId' }, data: DEV_ID },
        { source: { locURI: './DevInfo/Man' }, data: 'ExampleCo' },
      ],
    },
    ...alerts,
  ];
}

export function updateAlert(type: string, source?: string): AlertCmd {
  const item: AlertCmd['items'][number] = { meta: { type, format: 'chr' }, data: '' };
  if (source) item.source = { locURI: source };
  return { kind: 'Alert', cmdId: '', data: '1226', items: [item] };
}

export function resultAlert(correlator: string | undefined, code: number, id: string): AlertCmd {
  const a: AlertCmd = {
    kind: 'Alert',
    cmdId: '',
    data: '1226',
    items: [
      {
        source: { locURI: './SCOMO/Download/x/Operations/DownloadInstall' },
        target: { locURI: './SCOMO/Inventory/Deployed/app1' },
        meta: { type: OP_COMPLETE, format: 'xml' },
        data: `<ResultCode>${code}</ResultCode><Identifier>${id}</Identifier>`,
      },
    ],
  };
  if (correlator !== undefined) a.correlator = correlator;
  return a;
}

export function status(reply: SyncMLMessage, cmdRef: string, cmd: string, code: number, items: StatusCmd['items'] = []): StatusCmd {
  return { kind: 'Status', cmdId: '', msgRef: reply.hdr.msgId, cmdRef, cmd, targetRefs: [], sourceRefs: [], items, data: String(code) };
}

export function hdrStatus(reply: SyncMLMessage, code = 200): StatusCmd {
  return { ...status(reply, '0', 'SyncHdr', code), targetRefs: [reply.hdr.target.locURI], sourceRefs: [reply.hdr.source.locURI] };
}

/** Results for a server Get, with values for the URIs it asked. */
export function results(reply: SyncMLMessage, get: Command, values: Record<string, string>): ResultsCmd {
  if (get.kind !== 'Get') throw new Error('not a Get');
  return {
    kind: 'Results',
    cmdId: '',
    msgRef: reply.hdr.msgId,
    cmdRef: get.cmdId,
    items: get.items
      .filter((i) => values[i.target!.locURI] !== undefined)
      .map((i) => ({ source: { locURI: i.target!.locURI }, data: values[i.target!.locURI]! })),
  };
}

/** Every XML reply the server gave through exchange() (and the tests' own transports), for the writer check. */
export const xmlReplies: string[] = [];

/** Sends one device message (XML unless told) and decodes the reply; fails the test on no reply. */
export async function exchange(
  server: LabDmServer,
  msg: SyncMLMessage,
  encoding: 'xml' | 'wbxml' = 'xml',
  extra: { hmac?: string; raw?: Uint8Array } = {},
): Promise<{ reply: SyncMLMessage; bytes: Uint8Array; hmac?: string; contentType: string }> {
  const body = extra.raw ?? encodeMessage(msg, encoding);
  const r = await server.handle(body, withDefined({ uri: SERVER_URI }, { hmac: extra.hmac || undefined }));
  if (!r) throw new Error('no reply');
  if (r.status !== undefined && r.status !== 200) throw new Error(`HTTP ${r.status}: ${new TextDecoder().decode(r.body)}`);
  if (r.contentType === MIME_XML) xmlReplies.push(new TextDecoder().decode(r.body));
  const out: { reply: SyncMLMessage; bytes: Uint8Array; hmac?: string; contentType: string } = {
    reply: decodeMessage(r.body),
    bytes: r.body,
    contentType: r.contentType,
  };
  if (r.hmac) out.hmac = r.hmac;
  return out;
}

export function commandsOf(reply: SyncMLMessage): Command[] {
  return reply.body.filter((c) => c.kind !== 'Status');
}

export function hdrStatusOf(reply: SyncMLMessage): StatusCmd {
  const s = reply.body.find((c): c is StatusCmd => c.kind === 'Status' && c.cmdRef === '0');
  if (!s) throw new Error('no SyncHdr Status');
  return s;
}

export function uris(c: Command): string[] {
  return 'items' in c ? c.items.map((i) => i.target?.locURI ?? '') : [];
}

export function texts(c: Command): string[] {
  return 'items' in c ? c.items.map((i) => (typeof i.data === 'string' ? i.data : '')) : [];
}

/**
 * Authenticates a fresh session: pkg 1 without a usable nonce gets 401 + Chal, then pkg 1 again with the
 * digest over that nonce. Returns the server's reply to the authenticated pkg 1 and the next device MsgID.
 */
export async function authenticatedPkg1(
  server: LabDmServer,
  alerts: AlertCmd[],
  o: { sessionId?: string; encoding?: 'xml' | 'wbxml'; maxMsgSize?: number } = {},
) {
  const sessionId = o.sessionId ?? '1A2B';
  const first = await exchange(
    server,
    devMsg(withDefined({ sessionId, msgId: 1, body: pkg1Body(alerts) }, { maxMsgSize: o.maxMsgSize || undefined })),
    o.encoding,
  );
  const nonce = hdrStatusOf(first.reply).chal?.meta.nextNonce;
  if (!nonce) throw new Error('no challenge');
  const second = await exchange(
    server,
    devMsg({ sessionId, msgId: 2, cred: md5Cred(nonce), body: [hdrStatus(first.reply), ...pkg1Body(alerts)] }),
    o.encoding,
  );
  return { reply: second.reply, bytes: second.bytes, next: 3, sessionId, firstReply: first.reply };
}

/** A fake downloader serving the example catalog's packages at PKG_BASE, and an installer holding `installed`. */
export function catalogHardware(installed: ComponentInfo[]) {
  const downloader = new FakeDownloader();
  for (const e of exampleCatalog().entries) downloader.files.set(`${PKG_BASE}/${e.fileName}`, new Uint8Array(readFileSync(e.file)));
  return { downloader, installer: new FakeInstaller(downloader, installed) };
}
