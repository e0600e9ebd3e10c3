// The lab OMA DM 1.2 server core, independent of any transport: bytes in, bytes out. It authenticates
// devices (basic, MD5, HMAC) and itself to them, and answers the SCOMO 1.1 client-initiated update request
// as the seed CR asks of a server: with a LocURI it investigates that component, without one the whole
// inventory (Get); for UpdateUserRequest it informs and asks the user with UI alerts; on consent (or, for
// UpdateDeviceRequest, when the catalog allows it) it runs a SCOMO DownloadInstall and later records the
// OperationComplete result alert. Lab users debug devices with it, so every protocol deviation is logged
// with what was expected.
import type { LogLevel } from '../../agent/ports.js';
import type { AlertCmd, Command, ItemCmd, ResultsCmd, StatusCmd, SyncHdr, SyncMLMessage } from '../../agent/syncml/model.js';
import { AlertCode, MIME_WBXML, MIME_XML } from '../../agent/syncml/model.js';
import { decodeMessage, sniffEncoding, type Encoding } from '../../agent/syncml/codec.js';
import { ALERT_TYPE_DEVICE_REQUEST, ALERT_TYPE_OPERATION_COMPLETE, ALERT_TYPE_USER_REQUEST } from '../../agent/alerts/types.js';
import { asDmError } from '../../agent/errors.js';
import { base64Encode, utf8Encode } from '../../agent/util/bytes.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { nodeUtf8 } from '../../platform/node/utf8.js';
import { DEFAULT_SCENARIO, FailurePlan } from './scenario.js';
import { UserPassHashes } from '../../agent/session/auth.js';
import { AccountBook } from './auth.js';
import { newSessionAuth, SessionAuthenticator } from './session-auth.js';
import { newExchange, reply } from './reply.js';
import { newUpdateFlow, UpdateFlowSteps } from './update-flow.js';
import {
  alertCmd, childNames, dataText, normUri, parseResultData, readComponentResults,
} from './commands.js';
import { History } from './history.js';
import { DEFAULT_RETAINED_LIMIT, isRetransmission, SessionStore } from './session-store.js';
import { DEFAULT_STRANGER_LIMIT, DeviceBook, installed, keepDevInfo, MAX_COMPONENTS_PER_DEVICE, MAX_DEVINFO_LEAVES } from './devices.js';
import type {
  Deployment, DeviceView, Deviation, LabDmServerOptions, LabReply, OperationOutcome, RequestMeta, ServerContext, SessionState,
  UiAnswerRecord, UpdateKind,
} from './types.js';

export { MAX_COMPONENTS_PER_DEVICE, MAX_DEVINFO_LEAVES } from './devices.js';
export type { Deployment, DeviceView, Deviation, LabDmServerOptions, LabReply, OperationOutcome, RequestMeta, UiAnswerRecord, UpdateKind } from './types.js';

const DEFAULT_MAX_MSG = 65536;
const DEFAULT_HISTORY_LIMIT = 10000;

export class LabDmServer {
  private readonly o: LabDmServerOptions;
  private readonly ctx: ServerContext;
  private readonly devices: DeviceBook;
  private readonly sessions: SessionStore;
  private readonly auth: SessionAuthenticator;
  private readonly flow: UpdateFlowSteps;

  constructor(options: LabDmServerOptions) {
    if (!options.serverId) throw new Error('LabDmServer: serverId must not be empty');
    checkPackageBaseUrl(options.packageBaseUrl);
    const max = options.maxMsgSize ?? DEFAULT_MAX_MSG;
    if (!(Number.isInteger(max) && max >= 1024)) throw new Error('LabDmServer: maxMsgSize must be an integer ≥ 1024');
    this.o = options;
    const crypto = options.crypto ?? nodeCrypto;
    const scenario = options.scenario ?? DEFAULT_SCENARIO;
    const keep = limitOption('historyLimit', options.historyLimit, DEFAULT_HISTORY_LIMIT);
    this.ctx = {
      catalog: options.catalog, serverUri: options.serverUri, packageBaseUrl: options.packageBaseUrl, maxMsgSize: max,
      crypto, hashes: new UserPassHashes(crypto), scenario, failures: new FailurePlan(scenario.failures),
      histories: { deployments: new History(keep), outcomes: new History(keep), uiAnswers: new History(keep), deviations: new History(keep), duplicateResults: 0, succeeded: 0 },
      log: (level, message, fields) => this.o.log?.log(level, message, fields),
      deviate: (st, message) => this.deviate(st.device.devId, st.sessionId, message),
    };
    this.devices = new DeviceBook(crypto, this.ctx.log, limitOption('strangerLimit', options.strangerLimit, DEFAULT_STRANGER_LIMIT));
    this.sessions = new SessionStore(this.ctx, limitOption('retainedLimit', options.retainedLimit, DEFAULT_RETAINED_LIMIT));
    this.auth = new SessionAuthenticator(this.ctx, new AccountBook(options.devices), this.devices);
    this.flow = new UpdateFlowSteps(this.ctx);
  }

  /** Changes the base URL announced in PkgURL (e.g. once an HTTP server on port 0 knows its port). */
  usePackageBaseUrl(url: string): void {
    checkPackageBaseUrl(url);
    this.ctx.packageBaseUrl = url;
  }

  /** Changes the URI this server answers as (SyncHdr Source, and the Target devices must use). */
  useServerUri(uri: string): void {
    if (!/^\S+$/.test(uri)) throw new Error(`LabDmServer: serverUri '${uri}' is not a URI`);
    this.ctx.serverUri = uri;
  }

  // ------------------------------------------------------------------ views for tests and tools

  // Each history gives its newest historyLimit entries; totals() counts all of them.

  outcomes(): OperationOutcome[] {
    return this.ctx.histories.outcomes.kept().map((o) => ({ ...o }));
  }

  deployments(): Deployment[] {
    return this.ctx.histories.deployments.kept().map((d) => ({ ...d }));
  }

  uiAnswers(): UiAnswerRecord[] {
    return this.ctx.histories.uiAnswers.kept().map((a) => ({ ...a, answer: [...a.answer] }));
  }

  /** Result alerts received again for an outcome already recorded (a device re-sending after a power cut). */
  duplicateResults(): number {
    return this.ctx.histories.duplicateResults;
  }

  deviations(): Deviation[] {
    return this.ctx.histories.deviations.kept();
  }

  /** The kept deviations by kind (their message, numbers masked), most frequent first. */
  deviationKinds(): [kind: string, count: number][] {
    const byKind = new Map<string, number>();
    for (const d of this.ctx.histories.deviations.kept()) {
      const kind = d.message.replace(/\d+/g, 'N');
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }
    return [...byKind].sort((a, b) => b[1] - a[1]);
  }

  /**
   * How many of each were ever recorded, those no longer kept included; the DM sessions begun, the devices
   * that authenticated, and the outcomes that reported a success.
   */
  totals(): { sessions: number; devices: number; deployments: number; outcomes: number; succeeded: number; uiAnswers: number; deviations: number } {
    return {
      sessions: this.sessions.count, devices: this.devices.authenticated, deployments: this.ctx.histories.deployments.total, outcomes: this.ctx.histories.outcomes.total,
      succeeded: this.ctx.histories.succeeded, uiAnswers: this.ctx.histories.uiAnswers.total, deviations: this.ctx.histories.deviations.total,
    };
  }

  device(devId: string): DeviceView | undefined {
    return this.devices.view(devId);
  }

  /** The nonce (base64) the device must use next, e.g. to hand to a device under test out of band. */
  nonceFor(devId: string): string | undefined {
    const d = this.devices.record(devId);
    return d ? base64Encode(d.clientNonce) : undefined;
  }

  // ------------------------------------------------------------------ entry point

  async handle(body: Uint8Array, meta: RequestMeta): Promise<LabReply | undefined> {
    const ct = meta.contentType?.split(';')[0]?.trim().toLowerCase();
    if (ct !== undefined && ct !== '' && ct !== MIME_XML && ct !== MIME_WBXML) {
      return this.refuse(415, `Content-Type '${meta.contentType}' is not ${MIME_XML} or ${MIME_WBXML}`);
    }
    let msg: SyncMLMessage;
    let encoding: Encoding;
    try {
      encoding = sniffEncoding(body);
      msg = decodeMessage(body, nodeUtf8);
    } catch (e) {
      const err = asDmError(e);
      return this.refuse(400, `device message refused (${err.code}, status ${err.status}): ${err.message}`);
    }
    const devId = msg.hdr.source.locURI;
    if (ct && ct !== (encoding === 'xml' ? MIME_XML : MIME_WBXML)) {
      this.deviate(devId, msg.hdr.sessionId, `Content-Type ${ct} but the body is ${encoding.toUpperCase()}`);
    }
    const problem = this.headerProblem(msg.hdr);
    if (problem) return this.refuse(400, `device ${devId}: ${problem}`);
    if (!/^[1-9]\d{0,8}$/.test(msg.hdr.msgId)) return this.refuse(400, `device ${devId}: MsgID '${msg.hdr.msgId}' is not a positive integer`);
    if (normUri(msg.hdr.target.locURI) !== normUri(this.ctx.serverUri) && msg.hdr.target.locURI !== this.ctx.serverUri) {
      this.deviate(devId, msg.hdr.sessionId, `SyncHdr Target ${msg.hdr.target.locURI} is not this server (${this.ctx.serverUri})`);
    }

    const st = this.session(msg, encoding, body);
    const msgNo = Number(msg.hdr.msgId);
    if (isRetransmission(st, msgNo, body)) {
      this.log('info', `device ${devId} session ${st.sessionId}: MsgID ${msgNo} again (retransmission); resending the previous reply`);
      return st.copy.reply;
    }
    if (st.deviceMsgId !== undefined && msgNo !== st.deviceMsgId + 1) {
      this.deviate(devId, st.sessionId, `MsgID ${msgNo} after ${st.deviceMsgId} (MsgIDs go up by one per message)`);
    }
    if (st.deviceMsgId === undefined && msgNo !== 1) this.deviate(devId, st.sessionId, `first message of the session has MsgID ${msgNo}, not 1`);
    if (st.ended) this.deviate(devId, st.sessionId, 'message after the session ended (the last server message held no commands)');

    const http500 = this.ctx.failures.take('http-500-at-message', msgNo);
    if (http500) {
      this.log('warn', `injected failure: HTTP 500 at device message ${msgNo} (${devId})`);
      return { status: 500, body: utf8Encode('injected failure: http-500-at-message\n'), contentType: 'text/plain' };
    }

    const answer = await this.process(st, msg, body, meta);
    st.deviceMsgId = msgNo;
    this.sessions.keep(st, body, answer);
    const delay = this.ctx.failures.take('delay-ms', msgNo);
    if (delay) {
      this.log('info', `injected delay of ${delay.ms} ms before answering device message ${msgNo}`);
      await (this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))))(delay.ms);
    }
    if (this.ctx.failures.take('drop-connection-at-message', msgNo)) {
      // Processed but the reply is lost, as when a connection breaks: the device's retry gets the cached reply.
      this.log('warn', `injected failure: connection dropped after device message ${msgNo} (${devId})`);
      return undefined;
    }
    return answer;
  }

  private refuse(status: number, why: string): LabReply {
    this.log('warn', `refused: ${why}`);
    return { status, body: utf8Encode(why + '\n'), contentType: 'text/plain; charset=utf-8' };
  }

  private headerProblem(h: SyncHdr): string | undefined {
    if (h.verDTD !== '1.2') return `VerDTD '${h.verDTD}', expected 1.2`;
    if (h.verProto !== 'DM/1.2') return `VerProto '${h.verProto}', expected DM/1.2`;
    if (!h.sessionId) return 'empty SessionID';
    if (!h.source.locURI) return 'SyncHdr Source/LocURI (the DevId) is empty';
    return undefined;
  }

  /** The kept session of the message, or a new one (phase auth) on the device's record. */
  private session(msg: SyncMLMessage, encoding: Encoding, body: Uint8Array): SessionState {
    const kept = this.sessions.find(msg, encoding, body);
    if (kept) return kept;
    const device = this.devices.forSession(msg.hdr.source.locURI);
    device.sessions++;
    const st: SessionState = {
      sessionId: msg.hdr.sessionId, device, phase: 'auth', ended: false,
      auth: newSessionAuth(), out: newExchange(encoding), flow: newUpdateFlow(),
    };
    this.sessions.add(st);
    return st;
  }

  // ------------------------------------------------------------------ one device message

  private async process(st: SessionState, msg: SyncMLMessage, body: Uint8Array, meta: RequestMeta): Promise<LabReply> {
    const hdrStatus: StatusCmd = {
      kind: 'Status', cmdId: '', msgRef: msg.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr',
      targetRefs: [msg.hdr.target.locURI], sourceRefs: [msg.hdr.source.locURI], items: [], data: '200',
    };
    if (msg.hdr.meta?.maxMsgSize !== undefined) st.out.maxMsgSize = msg.hdr.meta.maxMsgSize;

    if (this.ctx.failures.take('abort-session', Number(msg.hdr.msgId))) {
      this.log('warn', `injected failure: Alert 1223 (session abort) at device message ${msg.hdr.msgId} (${st.device.devId})`);
      return this.end(st, [hdrStatus, alertCmd(AlertCode.SessionAbort)]);
    }

    if (!this.auth.authenticate(st, msg, body, meta, hdrStatus)) {
      // A message that reports an authentication failure holds only Status (DM Protocol §8).
      return reply(this.ctx, st, [hdrStatus], true);
    }

    const statuses: Command[] = [hdrStatus];
    let deviceWantsMore = false;
    let deviceAborted = false;
    let serverRefused = false;
    for (const c of msg.body) {
      switch (c.kind) {
        case 'Status':
          if (c.cmdRef === '0' && c.cmd === 'SyncHdr') {
            if (this.auth.onHeaderStatus(st, c) === 'server-refused') serverRefused = true;
          } else this.onStatus(st, c);
          break;
        case 'Results':
          this.onResults(st, c);
          break;
        case 'Alert':
          if (c.data === AlertCode.NextMessage) deviceWantsMore = true;
          if (c.data === AlertCode.SessionAbort) deviceAborted = true;
          statuses.push(this.status(msg, c, this.onAlert(st, c)));
          break;
        case 'Replace':
          statuses.push(this.status(msg, c, this.onReplace(st, c)));
          break;
        default: {
          const name = c.kind === 'Unsupported' ? c.name : c.kind;
          this.deviate(st.device.devId, st.sessionId, `device sent <${name}>: a DM client may only send Alert, Replace (DevInfo), Results and Status`);
          statuses.push(this.status(msg, c, 406));
        }
      }
    }

    if (deviceAborted) {
      this.log('info', `device ${st.device.devId} aborted session ${st.sessionId} (Alert 1223)`);
      return this.end(st, statuses);
    }
    if (serverRefused && !this.auth.retryServerCred(st)) {
      st.out.outbox = [];
      return this.end(st, [...statuses, alertCmd(AlertCode.SessionAbort)]);
    }
    if (!msg.final && !deviceWantsMore) {
      // The device's package continues: ask for the next message, send nothing new yet.
      return reply(this.ctx, st, [...statuses, alertCmd(AlertCode.NextMessage)], false);
    } else if (msg.final) {
      this.checkAllAnswered(st);
      if (st.out.outbox.length === 0) this.flow.advance(st);
    }
    return reply(this.ctx, st, statuses, undefined);
  }

  /** The session goes to phase done, with a last reply of `commands` and Final. */
  private end(st: SessionState, commands: Command[]): LabReply {
    st.phase = 'done';
    return reply(this.ctx, st, commands, true);
  }

  // ------------------------------------------------------------------ what the device sent

  private status(msg: SyncMLMessage, c: Command, code: number): StatusCmd {
    const name = c.kind === 'Unsupported' ? c.name : c.kind;
    return { kind: 'Status', cmdId: '', msgRef: msg.hdr.msgId, cmdRef: c.cmdId, cmd: name, targetRefs: [], sourceRefs: [], items: [], data: String(code) };
  }

  private onAlert(st: SessionState, c: AlertCmd): number {
    switch (c.data) {
      case AlertCode.ClientInitiated: case AlertCode.ServerInitiated: case AlertCode.NextMessage: case AlertCode.SessionAbort:
        return 200;
      case AlertCode.Generic:
        return this.onGenericAlert(st, c);
      case AlertCode.ClientEvent:
        this.log('info', `device ${st.device.devId}: client event alert 1224 (not acted on)`);
        return 200;
      default:
        this.deviate(st.device.devId, st.sessionId, `device sent Alert ${c.data ?? '(no code)'}: a client sends 1200, 1201, 1222, 1223, 1224 or 1226`);
        return 406;
    }
  }

  private onGenericAlert(st: SessionState, c: AlertCmd): number {
    if (c.items.length === 0) {
      this.deviate(st.device.devId, st.sessionId, `Generic Alert ${c.cmdId} has no Item`);
      return 412;
    }
    let code = 200;
    for (const item of c.items) {
      const type = item.meta?.type;
      if (item.data === undefined) this.deviate(st.device.devId, st.sessionId, `Generic Alert ${c.cmdId}: Item without Data (the seed CR says Data MUST be present, empty when there is no vendor data)`);
      if (type === ALERT_TYPE_USER_REQUEST || type === ALERT_TYPE_DEVICE_REQUEST) {
        const kind: UpdateKind = type === ALERT_TYPE_USER_REQUEST ? 'user' : 'device';
        const src = item.source?.locURI;
        this.flow.requested(st, kind, src);
        this.log('info', `device ${st.device.devId}: ${kind === 'user' ? 'UpdateUserRequest' : 'UpdateDeviceRequest'} for ${src ?? 'every deployed component'}`);
      } else if (type === ALERT_TYPE_OPERATION_COMPLETE || type === 'urn:oma:at:scomo:1.1:OperationComplete') {
        if (type !== ALERT_TYPE_OPERATION_COMPLETE) this.deviate(st.device.devId, st.sessionId, `OperationComplete alert type ${type}: SCOMO keeps ${ALERT_TYPE_OPERATION_COMPLETE}`);
        const r = this.onResultAlert(st, c, item);
        if (r !== 200) code = r;
      } else {
        this.log('info', `device ${st.device.devId}: Generic Alert of type ${type ?? '(none)'} accepted, not acted on`);
      }
    }
    return code;
  }

  private onResultAlert(st: SessionState, c: AlertCmd, item: AlertCmd['items'][number]): number {
    const data = parseResultData(dataText(item.data));
    if (!data) {
      this.deviate(st.device.devId, st.sessionId, `OperationComplete alert ${c.cmdId} without <ResultCode>…</ResultCode> in its Data: '${dataText(item.data).slice(0, 120)}'`);
      return 400;
    }
    const correlator = c.correlator;
    const deployment = correlator !== undefined ? st.device.deployments.get(correlator) : undefined;
    if (correlator === undefined) this.deviate(st.device.devId, st.sessionId, 'OperationComplete alert without the Correlator of the Exec it reports on');
    else if (!deployment) this.deviate(st.device.devId, st.sessionId, `OperationComplete alert carries Correlator ${correlator}, which this server never sent to ${st.device.devId}`);
    const ok = data.resultCode === 1200;
    const outcome: OperationOutcome = { devId: st.device.devId, sessionId: st.sessionId, resultCode: data.resultCode, ok };
    if (correlator !== undefined) outcome.correlator = correlator;
    if (data.identifier !== undefined) outcome.identifier = data.identifier;
    if (item.source?.locURI !== undefined) outcome.source = item.source.locURI;
    if (item.target?.locURI !== undefined) outcome.target = item.target.locURI;
    if (deployment?.resultCode !== undefined && deployment.resultCode === data.resultCode) {
      // At-least-once delivery: a device that lost power after we acknowledged, but before it recorded our
      // acknowledgement, sends the same result again. It is the same outcome, counted once.
      this.ctx.histories.duplicateResults++;
      this.log('info', `device ${st.device.devId}: result ${data.resultCode} for ${correlator} reported again (already recorded; acknowledged again)`);
      return 200;
    }
    if (deployment) {
      deployment.resultCode = data.resultCode;
      deployment.state = ok ? 'completed' : 'failed';
      outcome.deployment = { ...deployment };
      if (ok) installed(st.device, deployment);
    }
    this.ctx.histories.outcomes.push(outcome);
    if (ok) this.ctx.histories.succeeded++;
    this.log(ok ? 'info' : 'warn', `device ${st.device.devId}: SCOMO result ${data.resultCode}${ok ? ' (success)' : ''} for ${deployment ? `${deployment.componentId} ${deployment.version}` : (data.identifier ?? '?')}, correlator ${correlator ?? '(none)'}`);
    return 200;
  }

  private onReplace(st: SessionState, c: ItemCmd): number {
    let code = 200;
    for (const it of c.items) {
      const uri = it.source?.locURI ?? it.target?.locURI;
      if (uri === undefined || !normUri(uri).startsWith('./DevInfo/')) {
        this.deviate(st.device.devId, st.sessionId, `Replace of ${uri ?? '(no URI)'}: a client Replaces only ./DevInfo leaves`);
        code = 403;
        continue;
      }
      if (!keepDevInfo(st.device, normUri(uri).slice('./DevInfo/'.length), dataText(it.data))) {
        this.deviate(st.device.devId, st.sessionId, `Replace of ${uri}: the server keeps ${MAX_DEVINFO_LEAVES} DevInfo leaves of a device, not more`);
      }
    }
    const devIdLeaf = st.device.devInfo.DevId;
    if (devIdLeaf !== undefined && devIdLeaf !== st.device.devId) {
      this.deviate(st.device.devId, st.sessionId, `./DevInfo/DevId is '${devIdLeaf}' but SyncHdr Source/LocURI is '${st.device.devId}'`);
    }
    return code;
  }

  /** A Status of the device for a command the server sent (that for its SyncHdr goes to session-auth.ts). */
  private onStatus(st: SessionState, s: StatusCmd): void {
    const code = Number(s.data);
    const key = `${s.msgRef}:${s.cmdRef}`;
    const first = st.out.sent.get(key);
    const again = first ? undefined : st.out.answered.get(key);
    if (!first && !again) {
      this.deviate(st.device.devId, st.sessionId, `Status ${s.data} for ${s.cmd} MsgRef ${s.msgRef} CmdRef ${s.cmdRef}, a command this server did not send`);
      return;
    }
    if (again) {
      // Another Status for a command with several items (one per distinct result, DM RepPro): only the
      // multi-item commands this server sends may have one.
      if (again.what === 'ui' || again.what === 'exec') {
        this.deviate(st.device.devId, st.sessionId, `a second Status (${s.data}) for ${s.cmd} MsgRef ${s.msgRef} CmdRef ${s.cmdRef}, which has one item`);
      } else if (again.what === 'add' && code !== 200 && code !== 215) {
        this.log('warn', `device ${st.device.devId}: Add of ${again.deployment.node} answered ${code} for some items; the Exec will fail`);
        again.deployment.state = 'refused';
      }
      return;
    }
    const tag = first!;
    st.out.sent.delete(key);
    st.out.answered.set(key, tag);
    if (code === 215) return; // not executed: the device refused our credential; the command is re-sent
    switch (tag.what) {
      case 'get-tree':
        if (code !== 200) st.flow.found.treeRefused = code;
        break;
      case 'get-list': case 'get-items':
        if (code !== 200) {
          st.flow.found.getFailed = `Get ${s.targetRefs.join(', ') || ''} answered ${code}`;
          this.log('warn', `device ${st.device.devId}: ${st.flow.found.getFailed}`);
        }
        break;
      case 'ui': this.flow.onUiAnswer(st, tag, s, code); break;
      case 'add':
        if (code !== 200) {
          this.log('warn', `device ${st.device.devId}: Add of ${tag.deployment.node} answered ${code}; the Exec will fail`);
          tag.deployment.state = 'refused';
        }
        break;
      case 'exec':
        tag.deployment.execStatus = code;
        if (code === 202 || code === 200) {
          tag.deployment.state = 'accepted';
          this.log('info', `device ${st.device.devId} accepted ${tag.deployment.operation} of ${tag.deployment.componentId} ${tag.deployment.version} (${code}); waiting for its result alert`);
        } else {
          tag.deployment.state = 'refused';
          this.log('warn', `device ${st.device.devId} refused ${tag.deployment.operation} of ${tag.deployment.componentId} ${tag.deployment.version} with ${code}`);
        }
        break;
      case 'other': break;
    }
  }

  private onResults(st: SessionState, r: ResultsCmd): void {
    // Results follow their Get's Status, which already settled the Get itself: they have their own key.
    const key = `${r.msgRef ?? ''}:${r.cmdRef}#results`;
    const tag = st.out.sent.get(key) ?? st.flow.found.treeResults.get(key);
    if (!tag || (tag.what !== 'get-tree' && tag.what !== 'get-list' && tag.what !== 'get-items')) {
      this.deviate(st.device.devId, st.sessionId, `Results for MsgRef ${r.msgRef ?? '?'} CmdRef ${r.cmdRef}, which is not a Get this server sent${r.msgRef === undefined ? ' (Results without MsgRef)' : ''}`);
      return;
    }
    st.out.sent.delete(key);
    if (r.items.some((i) => i.moreData)) this.deviate(st.device.devId, st.sessionId, 'Results with MoreData: large objects in Results are not supported by the lab server');
    if (tag.what === 'get-tree') {
      // A subtree may come as several Results for the one Get. Of its nodes the component leaves matter; the
      // rest (interior nodes, State, Operations ...) is expected, not stray.
      st.flow.found.treeResults.set(key, tag);
      this.overLimit(st, readComponentResults(r.items, st.flow.found.inventory, MAX_COMPONENTS_PER_DEVICE).overLimit);
      return;
    }
    if (tag.what === 'get-list') {
      const names = childNames(r.items);
      st.flow.found.listNodes = names.slice(0, MAX_COMPONENTS_PER_DEVICE);
      this.overLimit(st, names.length - st.flow.found.listNodes.length, 'name(s)');
      return;
    }
    const read = readComponentResults(r.items, st.flow.found.inventory, MAX_COMPONENTS_PER_DEVICE);
    for (const s of read.stray) this.deviate(st.device.devId, st.sessionId, `Results item ${s} was not asked for`);
    this.overLimit(st, read.overLimit);
  }

  private overLimit(st: SessionState, n: number, what = 'Results item(s)'): void {
    if (n > 0) this.deviate(st.device.devId, st.sessionId, `the inventory names more than ${MAX_COMPONENTS_PER_DEVICE} components: ${n} more ${what} not read`);
  }

  /** At the end of a device package every server command must have its Status, every good Get its Results. */
  private checkAllAnswered(st: SessionState): void {
    for (const [key, tag] of st.out.sent) {
      st.out.sent.delete(key);
      if (key.endsWith('#results')) {
        const refused = tag.what === 'get-tree' ? st.flow.found.treeRefused !== undefined : st.flow.found.getFailed !== undefined;
        if (!refused) this.deviate(st.device.devId, st.sessionId, `no Results for the Get ${key.slice(0, -'#results'.length)} (MsgRef:CmdRef)`);
        continue;
      }
      this.deviate(st.device.devId, st.sessionId, `no Status for the server's ${tag.what} command (MsgRef:CmdRef ${key}); every command needs one`);
    }
  }

  // ------------------------------------------------------------------ logging

  private deviate(devId: string, sessionId: string, message: string): void {
    this.ctx.histories.deviations.push({ devId, sessionId, message });
    this.log('warn', `deviation: device ${devId} session ${sessionId}: ${message}`);
  }

  private log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.ctx.log(level, message, fields);
  }
}

function checkPackageBaseUrl(url: string): void {
  if (!/^https?:\/\/\S+$/.test(url)) throw new Error(`LabDmServer: packageBaseUrl '${url}' is not an http(s) URL`);
}

/** A bound of the options, given or its default; an integer ≥ 1. */
function limitOption(name: string, given: number | undefined, dflt: number): number {
  const v = given ?? dflt;
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`LabDmServer: ${name} must be an integer ≥ 1`);
  return v;
}
