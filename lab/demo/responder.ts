// A small embedded DM server for the demo and tests: challenges with MD5, then for an update request reads the
// component's Version, tells the user what it found (1100) and asks (1101), and closes the session.
// The full lab server (catalog, SCOMO deployment, HTTP/MQTT) is lab/server; this one lives in-process.
import type { InboundMessage, OutboundMessage } from '../../agent/ports.js';
import type { AlertCmd, Command, ResultsCmd, StatusCmd, SyncMLMessage } from '../../agent/syncml/model.js';
import { decodeMessage, encodeMessage, sniffEncoding } from '../../agent/syncml/codec.js';
import { md5Digest } from '../../agent/session/auth.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { base64Encode } from '../../agent/util/bytes.js';

export interface DemoCatalogEntry { id: string; name: string; version: string }

interface SessionState { step: 'auth' | 'inventory' | 'asked' | 'done'; component?: string; msgId: number }

export class DemoDmServer {
  private readonly sessions = new Map<string, SessionState>();
  private nonce = nodeCrypto.randomBytes(16);
  readonly log: string[] = [];

  constructor(private readonly o: { users: Record<string, string>; catalog: DemoCatalogEntry[]; serverUri: string }) {}

  handle(out: OutboundMessage): InboundMessage {
    const req = decodeMessage(out.body);
    const encoding = sniffEncoding(out.body);
    const key = `${req.hdr.source.locURI}/${req.hdr.sessionId}`;
    const st = this.sessions.get(key) ?? { step: 'auth', msgId: 0 };
    this.sessions.set(key, st);
    const body: Command[] = [];
    const hdrStatus = (code: number, chal = false): StatusCmd => ({
      kind: 'Status', cmdId: '', msgRef: req.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', targetRefs: [req.hdr.target.locURI],
      sourceRefs: [req.hdr.source.locURI], items: [], data: String(code),
      ...(chal ? { chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: base64Encode(this.nonce) } } } : {}),
    });
    if (st.step === 'auth') {
      const user = req.hdr.source.locName ?? '';
      const pass = this.o.users[user];
      const ok = pass !== undefined && req.hdr.cred?.data === md5Digest(nodeCrypto, user, pass, this.nonce);
      if (!ok) {
        this.nonce = nodeCrypto.randomBytes(16);
        this.log.push(`challenge ${user || '(no user)'}: ${req.hdr.cred ? 'bad credential' : 'no credential'}`);
        return this.reply(req, encoding, st, [hdrStatus(req.hdr.cred ? 401 : 407, true)]);
      }
      body.push(hdrStatus(212));
      st.step = 'inventory';
    } else body.push(hdrStatus(200));
    for (const c of req.body) {
      if (c.kind === 'Status' || c.kind === 'Results') continue;
      body.push({ kind: 'Status', cmdId: '', msgRef: req.hdr.msgId, cmdRef: c.cmdId, cmd: c.kind === 'Unsupported' ? c.name : c.kind,
        targetRefs: [], sourceRefs: [], items: [], data: c.kind === 'Alert' && c.data === '1226' ? '202' : '200' });
    }
    const request = req.body.find((c): c is AlertCmd => c.kind === 'Alert' && c.data === '1226');
    if (st.step === 'inventory' && request) {
      const loc = request.items[0]?.source?.locURI ?? './SCOMO/Inventory/Deployed';
      st.component = loc;
      this.log.push(`update request ${request.items[0]?.meta?.type} for ${loc}`);
      body.push({ kind: 'Get', cmdId: '', items: [{ target: { locURI: loc.endsWith('/Deployed') ? loc : `${loc}/ID` } }, ...(loc.endsWith('/Deployed') ? [] : [{ target: { locURI: `${loc}/Version` } }])] });
      return this.reply(req, encoding, st, body);
    }
    const results = req.body.filter((c): c is ResultsCmd => c.kind === 'Results');
    if (st.step === 'inventory' && results.length > 0) {
      const [id, version] = results[0]!.items.map((i) => String(i.data ?? ''));
      const entry = this.o.catalog.find((e) => e.id === id);
      if (!entry || !version || compareVersions(entry.version, version) <= 0) {
        body.push({ kind: 'Alert', cmdId: '', data: '1100', items: [{ data: 'MINDT=2' }, { data: 'Your software is up to date.' }] });
        st.step = 'done';
      } else {
        body.push({ kind: 'Alert', cmdId: '', data: '1100', items: [{ data: 'MINDT=2' }, { data: `Update found: ${entry.name} ${entry.version} (you have ${version}).` }] });
        body.push({ kind: 'Alert', cmdId: '', data: '1101', items: [{ data: 'MAXDT=60&DR=0' }, { data: `Install ${entry.name} ${entry.version} now?` }] });
        st.step = 'asked';
      }
      return this.reply(req, encoding, st, body);
    }
    if (st.step === 'asked') {
      const confirm = req.body.filter((c): c is StatusCmd => c.kind === 'Status' && c.cmd === 'Alert').pop();
      this.log.push(`user answered ${confirm?.data}`);
      st.step = 'done';
      body.push({ kind: 'Alert', cmdId: '', data: '1100', items: [{ data: 'MINDT=2' }, {
        data: confirm?.data === '200' ? 'Thank you: the installation will be scheduled.' : 'Update postponed.' }] });
      return this.reply(req, encoding, st, body);
    }
    return this.reply(req, encoding, st, body);
  }

  private reply(req: SyncMLMessage, encoding: 'xml' | 'wbxml', st: SessionState, body: Command[]): InboundMessage {
    let n = 0;
    const msg: SyncMLMessage = {
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: req.hdr.sessionId, msgId: String(++st.msgId),
        target: { locURI: req.hdr.source.locURI }, source: { locURI: this.o.serverUri } },
      body: body.map((c) => ({ ...c, cmdId: String(++n) })) as Command[],
      final: true,
    };
    // The server answers in the encoding the device used.
    return { body: encodeMessage(msg, encoding) };
  }
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
