// The lab OMA DM 1.2 server core, independent of any transport: bytes in, bytes out. It authenticates
// devices (basic, MD5, HMAC) and itself to them, and answers the SCOMO 1.1 client-initiated update request
// as the seed CR asks of a server: with a LocURI it investigates that component, without one the whole
// inventory (Get); for UpdateUserRequest it informs and asks the user with UI alerts; on consent (or, for
// UpdateDeviceRequest, when the catalog allows it) it runs a SCOMO DownloadInstall and later records the
// OperationComplete result alert. Lab users debug devices with it, so every protocol deviation is logged
// with what was expected.
//
// A session's phases (Phase) and what moves it from one to the next. Each device message is authenticated
// and its commands handled; once the device's package is complete (Final) and the outbox is empty,
// advance() takes the next step of the update flow, which queues what the next replies send:
//
//                         new session
//                              │
//                              ▼
//                            auth ◄──── a challenge (401/407) in any phase: the device's credential is
//                              │        missing or refused (an HMAC device's every message is checked)
//                              │ the device authenticated
//                              ▼
//   ┌──────────────────────► start ── no update request ───────────────────────────────────────────► done
//   │                          │
//   │        ┌─────────────────┼───────────────────────────────────┐
//   │        │ the whole       │ the whole inventory of a device   │ the components the request
//   │        │ inventory: Get  │ without tree exchange: Get the    │ names: Get their ID, Name,
//   │        │ ?list=StructData│ list (./SCOMO/Inventory/Deployed) │ Version
//   │        ▼                 ▼                                   ▼
//   │  inventory-tree ──► inventory-list ── the names: Get ──► inventory
//   │        │   refused:      │  │         their leaves           │
//   │        │   Get the list  │  └── the Get failed ──────────────│─────────────────────────────────► done
//   │        │ read            │ no name                           │ read
//   │        ▼                 ▼                                   ▼
//   │   ┌─────────────────────────────────────────────────────────────────┐
//   │   │ the components read: their newer versions in the catalog        │
//   │   └─────────────────────────────────────────────────────────────────┘
//   │          │                  │                          │
//   │          │ none: up to date │ a device request: the    │ a user request: extra UI alerts,
//   │          ▼                  │ autoUpdate ones (none:   │ then confirm (one update) or
//   │        done                 │ done)                    ▼ choice (several)
//   │                             │                          ui ── no, cancel, no answer ──────────► done
//   │                             ▼                          │ yes, or the options picked
//   │                           deploy ◄─────────────────────┘
//   │                             │ Add + Exec of each update, sent and answered
//   │                             ▼
//   └─── an update request ──── done ◄─── in any phase: the device's Alert 1223, an injected
//        came since the                   abort-session, the server's credential refused 3 times
//        last one began
//
// Apart from the phases, a reply with Final and no command ends the session (unless it challenges the device
// or waits for the device to accept the server's credential): reply.ts decides, in any phase.
//
// This file is the loop: a device message read, checked, matched to its session, its commands dispatched,
// and answered. The rest is done by one module each: session-store.ts keeps the sessions and the copies
// retransmissions get, devices.ts what the server knows of each device, session-auth.ts authenticates both
// ways, handlers.ts handles what the device sends, update-flow.ts takes the steps above (advance), reply.ts
// builds the replies; types.ts holds the records they share.
// Over 400 lines for the diagram above: the loop itself is about 300; every other job of the server is in
// a module of its own (see lab/server/README.md, "The code").
import type { LogLevel } from '../../agent/ports.js';
import type { Command, SyncHdr, SyncMLMessage } from '../../agent/syncml/model.js';
import { AlertCode, MIME_WBXML, MIME_XML } from '../../agent/syncml/model.js';
import { decodeMessage, sniffEncoding, type Encoding } from '../../agent/syncml/codec.js';
import { asDmError } from '../../agent/errors.js';
import { base64Encode, utf8Encode } from '../../agent/util/bytes.js';
import { UserPassHashes } from '../../agent/session/auth.js';
import { syncHdrStatus } from '../../agent/syncml/statuses.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { nodeUtf8 } from '../../platform/node/utf8.js';
import { DEFAULT_SCENARIO, FailurePlan } from './scenario.js';
import { AccountBook } from './auth.js';
import { alertCmd, normUri } from './commands.js';
import { History } from './history.js';
import { DEFAULT_STRANGER_LIMIT, DeviceBook } from './devices.js';
import { DEFAULT_RETAINED_LIMIT, isRetransmission, SessionStore } from './session-store.js';
import { newSessionAuth, SessionAuthenticator, unauthorized } from './session-auth.js';
import { MEDIA_TYPE_RULE, mediaType } from './media-type.js';
import { DeviceCommands, statusFor } from './handlers.js';
import { newUpdateFlow, UpdateFlowSteps } from './update-flow.js';
import { newExchange, reply } from './reply.js';
import type {
  Deployment,
  DeviceView,
  Deviation,
  LabDmServerOptions,
  LabReply,
  OperationOutcome,
  RefusedMessage,
  RequestMeta,
  ServerContext,
  SessionState,
  UiAnswerRecord,
} from './types.js';

export type {
  Deployment,
  DeviceView,
  Deviation,
  LabDmServerOptions,
  LabObserver,
  LabReply,
  OperationOutcome,
  RefusedMessage,
  RequestMeta,
  UiAnswerRecord,
  UpdateKind,
} from './types.js';
export { MAX_COMPONENTS_PER_DEVICE, MAX_DEVINFO_LEAVES } from './devices.js';

const DEFAULT_MAX_MSG = 65536;
const DEFAULT_HISTORY_LIMIT = 10000;

export class LabDmServer {
  private readonly o: LabDmServerOptions;
  private readonly ctx: ServerContext;
  private readonly devices: DeviceBook;
  private readonly sessions: SessionStore;
  private readonly auth: SessionAuthenticator;
  private readonly flow: UpdateFlowSteps;
  private readonly commands: DeviceCommands;

  constructor(options: LabDmServerOptions) {
    if (!options.serverId) throw new Error('LabDmServer: serverId must not be empty');
    checkPackageBaseUrl(options.packageBaseUrl);
    const max = options.maxMsgSize ?? DEFAULT_MAX_MSG;
    if (!(Number.isInteger(max) && max >= 1024)) throw new Error('LabDmServer: maxMsgSize must be an integer ≥ 1024');
    this.o = options;
    const crypto = options.crypto ?? nodeCrypto;
    const scenario = options.scenario ?? DEFAULT_SCENARIO;
    const keep = limitOption('historyLimit', options.historyLimit, DEFAULT_HISTORY_LIMIT);
    const log = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => this.o.log?.log(level, message, fields);
    this.ctx = {
      catalog: options.catalog,
      serverUri: options.serverUri,
      packageBaseUrl: options.packageBaseUrl,
      maxMsgSize: max,
      crypto,
      hashes: new UserPassHashes(crypto),
      scenario,
      failures: options.failures ?? new FailurePlan(scenario.failures),
      strict: options.strict === true,
      histories: {
        deployments: new History(keep),
        outcomes: new History(keep),
        uiAnswers: new History(keep),
        deviations: new History(keep),
        duplicateResults: 0,
        succeeded: 0,
      },
      log,
      deviate: (st, message) => {
        this.deviate(st.device.devId, st.sessionId, message);
        // Strict mode goes on no further than the reply to this message (reply.ts aborts the session).
        if (options.strict === true && st.strictAbort === undefined) st.strictAbort = 'due';
      },
    };
    this.devices = new DeviceBook(crypto, log, limitOption('strangerLimit', options.strangerLimit, DEFAULT_STRANGER_LIMIT));
    this.sessions = new SessionStore(this.ctx, limitOption('retainedLimit', options.retainedLimit, DEFAULT_RETAINED_LIMIT));
    this.auth = new SessionAuthenticator(this.ctx, new AccountBook(options.devices), this.devices);
    this.flow = new UpdateFlowSteps(this.ctx);
    this.commands = new DeviceCommands(this.ctx, this.flow);
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
  totals(): {
    sessions: number;
    devices: number;
    deployments: number;
    outcomes: number;
    succeeded: number;
    uiAnswers: number;
    deviations: number;
  } {
    const h = this.ctx.histories;
    return {
      sessions: this.sessions.count,
      devices: this.devices.authenticated,
      deployments: h.deployments.total,
      outcomes: h.outcomes.total,
      succeeded: h.succeeded,
      uiAnswers: h.uiAnswers.total,
      deviations: h.deviations.total,
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

  /** A binding refused a device message before the server saw it (HTTP 413): the observer is told. */
  refusedUnread(r: RefusedMessage): void {
    this.o.observer?.refused?.(r);
  }

  // ------------------------------------------------------------------ entry point

  async handle(body: Uint8Array, meta: RequestMeta): Promise<LabReply | undefined> {
    const media = mediaType(meta.contentType);
    if (media.kind === 'other' || (media.kind === 'syncml' && media.ds && this.ctx.strict)) {
      return this.refuse(
        body,
        meta,
        415,
        `Content-Type '${meta.contentType}' is not ${MIME_XML} or ${MIME_WBXML}${media.kind === 'syncml' ? ' (strict mode refuses the SyncML DS media type)' : ''}`,
      );
    }
    let msg: SyncMLMessage;
    let encoding: Encoding;
    try {
      encoding = sniffEncoding(body);
      msg = decodeMessage(body, nodeUtf8);
    } catch (e) {
      // A message this server cannot read has no SyncML reply: the HTTP status says why, the same status as
      // the text (415 for a body that is neither XML nor WBXML, 400 for a broken one, 413 for one too large).
      const err = asDmError(e);
      const status = err.status >= 400 && err.status < 500 ? err.status : 400;
      return this.refuse(body, meta, status, `device message refused (${err.code}, status ${status}): ${err.message}`);
    }
    const devId = msg.hdr.source.locURI;
    if (media.kind === 'syncml' && media.encoding !== encoding) {
      const why = `Content-Type ${media.type} but the body is ${encoding.toUpperCase()}`;
      if (this.ctx.strict) return this.refuse(body, meta, 415, `device ${devId}: ${why} (strict mode)`);
      this.deviate(devId, msg.hdr.sessionId, why);
    }
    const problem = headerProblem(msg.hdr);
    if (problem) return this.refuse(body, meta, 400, `device ${devId}: ${problem}`);
    if (!/^[1-9]\d{0,8}$/.test(msg.hdr.msgId))
      return this.refuse(body, meta, 400, `device ${devId}: MsgID '${msg.hdr.msgId}' is not a positive integer`);
    const serverUri = this.ctx.serverUri;
    if (normUri(msg.hdr.target.locURI) !== normUri(serverUri) && msg.hdr.target.locURI !== serverUri) {
      const why = `SyncHdr Target ${msg.hdr.target.locURI} is not this server (${serverUri})`;
      if (this.ctx.strict) return this.refuse(body, meta, 400, `device ${devId}: ${why} (strict mode)`);
      this.deviate(devId, msg.hdr.sessionId, why);
    }

    const st = this.session(msg, encoding, body);
    const observer = this.o.observer;
    observer?.processing(devId, st.device.sessions);
    observer?.deviceMessage(st, body, meta);
    if (media.kind === 'syncml' && media.ds && !st.dsMediaType) {
      st.dsMediaType = true;
      this.ctx.deviate(st, `Content-Type ${media.type} is SyncML DS's; ${MEDIA_TYPE_RULE} (taken as DM; said once a session)`);
    }
    const msgNo = Number(msg.hdr.msgId);
    if (isRetransmission(st, msgNo, body)) {
      this.ctx.log('info', `device ${devId} session ${st.sessionId}: MsgID ${msgNo} again (retransmission); resending the previous reply`);
      observer?.serverMessage(st, st.copy.reply, true);
      return st.copy.reply;
    }
    if (st.deviceMsgId !== undefined && msgNo !== st.deviceMsgId + 1) {
      this.ctx.deviate(st, `MsgID ${msgNo} after ${st.deviceMsgId} (MsgIDs go up by one per message)`);
    }
    if (st.deviceMsgId === undefined && msgNo !== 1) this.ctx.deviate(st, `first message of the session has MsgID ${msgNo}, not 1`);
    if (st.ended) this.ctx.deviate(st, 'message after the session ended (the last server message held no commands)');

    const failures = this.ctx.failures;
    if (failures.take('http-500-at-message', msgNo, st.device.sessions)) {
      this.ctx.log('warn', `injected failure: HTTP 500 at device message ${msgNo} (${devId})`);
      const failed = { status: 500, body: utf8Encode('injected failure: http-500-at-message\n'), contentType: 'text/plain' };
      observer?.serverMessage(st, failed, false);
      return failed;
    }

    const answer = await this.process(st, msg, body, meta);
    st.deviceMsgId = msgNo;
    this.sessions.keep(st, body, answer);
    const delay = failures.take('delay-ms', msgNo);
    if (delay) {
      this.ctx.log('info', `injected delay of ${delay.ms} ms before answering device message ${msgNo}`);
      await (this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))))(delay.ms);
    }
    // Another device's message may have been handled while this one waited.
    observer?.processing(devId, st.device.sessions);
    if (failures.take('drop-connection-at-message', msgNo, st.device.sessions)) {
      // Processed but the reply is lost, as when a connection breaks: the device's retry gets the cached reply.
      this.ctx.log('warn', `injected failure: connection dropped after device message ${msgNo} (${devId})`);
      observer?.serverMessage(st, undefined, false);
      return undefined;
    }
    observer?.serverMessage(st, answer, false);
    return answer;
  }

  private refuse(body: Uint8Array, meta: RequestMeta, status: number, why: string): LabReply {
    this.ctx.log('warn', `refused: ${why}`);
    this.o.observer?.refused?.({ status, reason: why, body, meta });
    return { status, body: utf8Encode(`${why}\n`), contentType: 'text/plain; charset=utf-8' };
  }

  /** The kept session of the message, or a new one (phase auth) on the device's record. */
  private session(msg: SyncMLMessage, encoding: Encoding, body: Uint8Array): SessionState {
    const kept = this.sessions.find(msg, encoding, body);
    if (kept) return kept;
    const device = this.devices.forSession(msg.hdr.source.locURI);
    device.sessions++;
    const st: SessionState = {
      sessionId: msg.hdr.sessionId,
      device,
      phase: 'auth',
      ended: false,
      auth: newSessionAuth(),
      out: newExchange(encoding),
      flow: newUpdateFlow(),
    };
    this.sessions.add(st);
    return st;
  }

  // ------------------------------------------------------------------ one device message

  private async process(st: SessionState, msg: SyncMLMessage, body: Uint8Array, meta: RequestMeta): Promise<LabReply> {
    const hdrStatus = syncHdrStatus(msg);
    if (msg.hdr.meta?.maxMsgSize !== undefined) st.out.maxMsgSize = msg.hdr.meta.maxMsgSize;

    if (this.ctx.failures.take('abort-session', Number(msg.hdr.msgId))) {
      this.ctx.log('warn', `injected failure: Alert 1223 (session abort) at device message ${msg.hdr.msgId} (${st.device.devId})`);
      return this.end(st, [hdrStatus, alertCmd(AlertCode.SessionAbort)]);
    }

    if (!this.auth.authenticate(st, msg, body, meta, hdrStatus)) {
      // A message that reports an authentication failure holds only Status, one for every command received
      // (DM Protocol 1.2, Authentication): the SyncHdr's 401/407 and Chal (session-auth.ts).
      return reply(this.ctx, st, [hdrStatus, ...unauthorized(msg, hdrStatus)], true);
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
          } else this.commands.onStatus(st, c);
          break;
        case 'Results':
          this.commands.onResults(st, c);
          break;
        case 'Alert':
          if (c.data === AlertCode.NextMessage) deviceWantsMore = true;
          if (c.data === AlertCode.SessionAbort) deviceAborted = true;
          statuses.push(statusFor(msg, c, this.commands.onAlert(st, c)));
          break;
        case 'Replace':
          statuses.push(statusFor(msg, c, this.commands.onReplace(st, c)));
          break;
        default: {
          const name = c.kind === 'Unsupported' ? c.name : c.kind;
          this.ctx.deviate(st, `device sent <${name}>: a DM client may only send Alert, Replace (DevInfo), Results and Status`);
          statuses.push(statusFor(msg, c, 406));
        }
      }
    }

    if (deviceAborted) {
      this.ctx.log('info', `device ${st.device.devId} aborted session ${st.sessionId} (Alert 1223)`);
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
      this.commands.checkAllAnswered(st);
      if (st.out.outbox.length === 0) this.flow.advance(st);
    }
    return reply(this.ctx, st, statuses, undefined);
  }

  /** The session goes to phase done, with a last reply of `commands` and Final. */
  private end(st: SessionState, commands: Command[]): LabReply {
    st.phase = 'done';
    return reply(this.ctx, st, commands, true);
  }

  private deviate(devId: string, sessionId: string, message: string): void {
    this.ctx.histories.deviations.push({ devId, sessionId, message });
    this.o.observer?.deviation({ devId, sessionId, message });
    this.ctx.log('warn', `deviation: device ${devId} session ${sessionId}: ${message}`);
  }
}

function headerProblem(h: SyncHdr): string | undefined {
  if (h.verDTD !== '1.2') return `VerDTD '${h.verDTD}', expected 1.2`;
  if (h.verProto !== 'DM/1.2') return `VerProto '${h.verProto}', expected DM/1.2`;
  if (!h.sessionId) return 'empty SessionID';
  if (!h.source.locURI) return 'SyncHdr Source/LocURI (the DevId) is empty';
  return undefined;
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
