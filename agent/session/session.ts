// A client-initiated OMA DM 1.2 session, sans-I/O (as libdmclient keeps its core): the session never
// touches a transport or a timer. The caller loops:
//   for (let out = s.nextMessage(); out; out = s.nextMessage()) await s.receive(await transport.exchange(out));
// Package flow (DM Protocol §8): pkg 1 = Alert 1201 + Replace ./DevInfo + Generic Alerts; the server's
// packages are processed to the end, every command gets a Status (unless NoResp), Gets get Results.
//
// The session's phases (SessionPhase) and the events that move it from one to the next:
//
//                 new Session(): package 1 queued
//                            │
//                            ▼
//   ┌───────────────────► opening ── nextMessage(): package 1's first message, ─────┐
//   │                                with our MaxMsgSize and MaxObjSize             │
//   │                                                                               ▼
//   │   ┌───────────────► sending ── nextMessage(): what fits of the outbox ──► awaiting-reply
//   │   │                                                                           │
//   │   │                                                                 receive() │
//   │   │                                                                           ▼
//   │   └── answers to send, or the server's package goes on (Alert 1222) ──── processing
//   │                                                                               │
//   └────── 401/407 with a challenge: package 1 again, with the new credential ─────┤
//                                                                                   │
//            done ◄── nextMessage(): Alert 1223 ── aborting ◄── unreadable reply ───┤
//                                                                                   │
//            done ◄── Final and nothing to answer (completed); the server's Alert ──┘
//                     1223 (aborted); a fatal SyncHdr Status, or a server that never
//                     authenticates (failed)
//
//   fail() in any phase but done, and a session over its message limit, go to done (failed).
//   Whether the session is over is decided in end() alone; outcome.state says how it ended.
//
// This file is the loop: the phases, package 1, the server's Statuses and the dispatch of its commands,
// with the containers (Atomic, Sequence) whose children go through that dispatch again. The rest is done
// by one module each: outbox.ts fits the queued commands into messages, commands.ts executes a command,
// large-object.ts reassembles chunked values, credentials.ts keeps the credentials and nonces.
// Over 400 lines on purpose: command dispatch and the Atomic/Sequence containers stay here, at the deepest
// point of the stack, so a container's recursion adds no frame across modules (the 640-slot XS stack), and
// the fuzz coverage of this file keeps its reach. Credentials, large objects, the outbox and command
// execution are in modules of their own.
import type { InboundMessage, OutboundMessage } from '../ports.js';
import type { Command, ContainerCmd, Cred, Item, StatusCmd, SyncHdr, SyncMLMessage } from '../syncml/model.js';
import { AlertCode, MIME_WBXML, MIME_XML } from '../syncml/model.js';
import type { Encoding } from '../syncml/codec.js';
import { decodeMessage, encodeMessage } from '../syncml/codec.js';
import { DEVICE } from '../tree/types.js';
import { toAlertCommand } from '../alerts/generic-alert.js';
import { DmError, asDmError } from '../errors.js';
import { base64Encode } from '../util/bytes.js';
import { AUTH_MD5, AUTH_MAC, AUTH_BASIC } from './auth.js';
import { Credentials } from './credentials.js';
import { LargeObjects } from './large-object.js';
import { Outbox } from './outbox.js';
import { estimatedSize, fitMessage } from '../syncml/fit.js';
import { Commands, emit, type RunContext } from './commands.js';
import type { SessionOptions, SessionOutcome, SessionState } from './types.js';
import { commandStatus, syncHdrStatus, treeUri } from '../syncml/statuses.js';

export type { SessionOptions, SessionOutcome, SessionState };

/** Where the session is in its loop: the diagram at the top of this file. */
export type SessionPhase = 'opening' | 'sending' | 'awaiting-reply' | 'processing' | 'aborting' | 'done';

const DEFAULT_MAX_OBJ = 65536;
const CONTENT_TYPES: Record<Encoding, string> = { xml: MIME_XML, wbxml: MIME_WBXML };
const DEVINFO_LEAVES = ['DevId', 'Man', 'Mod', 'DmV', 'Lang'];
const ATOMIC_ALLOWED = new Set(['Add', 'Replace', 'Delete', 'Copy', 'Alert']);

export class Session {
  declare private readonly o: SessionOptions;
  private phase: SessionPhase = 'opening';
  /** How the session ended: 'running' until end() says otherwise. */
  private state: SessionState = 'running';
  declare private error?: DmError;
  private msgId = 0;
  declare private targetUri: string;
  declare private readonly outbox: Outbox;
  declare private readonly auth: Credentials;
  /** Alert command id (in our message msgId) → queued alert id. */
  private alertRefs = new Map<string, string>();
  /** Generic Alert command of package 1 → queued alert id (the command itself carries no bookkeeping). */
  private readonly alertIds = new Map<Command, string>();
  private acknowledged: string[] = [];
  private rejected: string[] = [];
  private stats = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0 };
  declare private readonly large: LargeObjects;
  declare private readonly commands: Commands;

  constructor(options: SessionOptions) {
    if (!options.sessionId) throw new DmError('DM_ERR_CONFIG', 400, 'session id must not be empty');
    this.o = options;
    this.auth = new Credentials(options);
    this.outbox = new Outbox(options);
    // No object larger than a tree value could land, so none larger is announced or reassembled.
    this.large = new LargeObjects(options.maxObjSize ?? Math.min(DEFAULT_MAX_OBJ, options.tree.limits.maxValueBytes));
    this.commands = new Commands(options, this.large, this.outbox);
    this.targetUri = options.account.serverUri;
    this.queuePackage1();
  }

  get done(): boolean {
    return this.phase === 'done';
  }

  get outcome(): SessionOutcome {
    const o: SessionOutcome = {
      state: this.state,
      ok: this.state === 'completed',
      acknowledged: [...this.acknowledged],
      rejected: [...this.rejected],
      execAccepted: this.commands.execAccepted,
      ...this.stats,
    };
    if (this.error) o.error = this.error;
    return o;
  }

  /** Ends the session from outside (transport failure): nothing more is sent. */
  fail(error: DmError): void {
    if (this.phase !== 'done') this.end('failed', error);
  }

  /** The one place the session ends. */
  private end(state: Exclude<SessionState, 'running'>, error?: DmError): void {
    this.phase = 'done';
    this.state = state;
    if (error) this.error = error;
  }

  // ---------------------------------------------------------------- sending

  nextMessage(): OutboundMessage | undefined {
    if (this.phase !== 'opening' && this.phase !== 'sending' && this.phase !== 'aborting') return undefined;
    const maxMessages = this.o.maxMessages ?? 64;
    if (this.stats.messagesSent >= maxMessages) {
      this.fail(new DmError('DM_ERR_SESSION', 400, `session exceeded ${maxMessages} messages without ending`));
      return undefined;
    }
    this.msgId++;
    const msgId = String(this.msgId);
    const hdr = this.buildHeader(msgId);
    let body: Command[];
    let final: boolean;
    let bytes: Uint8Array | undefined;
    if (this.phase === 'aborting') {
      body = [{ kind: 'Alert', cmdId: '1', data: AlertCode.SessionAbort, items: [] }];
      final = true;
    } else {
      if (this.outbox.hdrStatus?.chal && this.auth.chalSent()) this.commit(true);
      const req = this.outbox.next(hdr);
      const fitted = fitMessage(req);
      ({ body, final, bytes } = fitted);
      this.rememberAlertRefs(req.queued, fitted.take, body, req.head.length);
      this.outbox.sent(fitted.take);
    }
    bytes ??= encodeMessage({ hdr, body, final }, this.o.encoding, this.o.utf8);
    this.stats.messagesSent++;
    this.stats.bytesSent += bytes.length;
    const out: OutboundMessage = {
      uri: this.targetUri,
      body: bytes,
      contentType: CONTENT_TYPES[this.o.encoding],
      sessionId: this.o.sessionId,
      msgId,
    };
    const hmac = this.auth.hmac(bytes);
    if (hmac !== undefined) out.hmac = hmac;
    // The abort message is the last word: the session is over whatever comes back.
    if (this.phase === 'aborting') this.end(this.error ? 'failed' : 'aborted');
    else this.phase = 'awaiting-reply';
    return out;
  }

  private buildHeader(msgId: string): SyncHdr {
    const auth = this.o.account.client;
    const hdr: SyncHdr = {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: this.o.sessionId,
      msgId,
      target: { locURI: this.o.account.serverUri },
      source: { locURI: this.o.devId },
    };
    if (auth.type !== 'NONE') hdr.source.locName = auth.name;
    const cred = this.auth.headerCred();
    if (cred) hdr.cred = cred;
    if (this.phase === 'opening') {
      hdr.meta = { maxMsgSize: this.outbox.maxMsgSize, maxObjSize: this.large.maxObjSize };
    }
    return hdr;
  }

  /**
   * Notes which queued alert each Generic Alert that goes out carries, by its CmdID in this message, for
   * the server's Status: the first `take` of `queued` went out, numbered, at `body[offset …]`.
   */
  private rememberAlertRefs(queued: Command[], take: number, body: Command[], offset: number): void {
    for (let k = 0; k < take; k++) {
      const id = this.alertIds.get(queued[k]!);
      if (id !== undefined) this.alertRefs.set(`${this.msgId}:${body[offset + k]!.cmdId}`, id);
    }
  }

  private queuePackage1(): void {
    const pkg1: Command[] = [{ kind: 'Alert', cmdId: '', data: AlertCode.ClientInitiated, items: [] }];
    const items: Item[] = [];
    for (const leaf of DEVINFO_LEAVES) {
      const uri = `./DevInfo/${leaf}`;
      if (!this.o.tree.exists(uri)) continue;
      const v = this.o.tree.get(uri, DEVICE);
      const item: Item = { source: { locURI: uri }, data: dataForWire(v.data ?? '', this.o.encoding) };
      if (v.format !== 'chr') item.meta = { format: v.format };
      items.push(item);
    }
    // No Meta for chr leaves: chr is MetInf's default Format, and the DM protocol asks for Meta only where Type
    // or Format differ from the defaults. Every standard DevInfo leaf is chr, so package 1 carries no Meta here.
    pkg1.push({ kind: 'Replace', cmdId: '', items });
    for (const a of this.o.alerts) {
      const cmd = toAlertCommand(a, '');
      this.alertIds.set(cmd, a.id);
      pkg1.push(cmd);
    }
    for (const cmd of pkg1) this.outbox.queue.push(cmd);
    this.outbox.continuing = false;
    this.phase = 'opening';
  }

  // ---------------------------------------------------------------- receiving

  async receive(msg: InboundMessage): Promise<void> {
    if (this.phase !== 'awaiting-reply') return;
    this.phase = 'processing';
    const m = this.read(msg);
    if (!m) return;
    // Server authentication comes first: an unauthenticated server's commands are not executed.
    const serverOk = this.auth.checkServer(m, msg, (this.outbox.hdrStatus = syncHdrStatus(m)));
    if (!this.takeStatuses(m) || this.serverAborted(m)) return;
    // The server's commands, run here and not in a step of their own: a command runs at the session's
    // deepest point, where a frame more counts on the device's 640-slot stack (test/xs/stack.test.ts).
    const ctx: RunContext = { msgRef: m.hdr.msgId, cancelled: false, inAtomic: false };
    let commands = 0;
    let serverWantsMore = false;
    for (const c of m.body) {
      if (c.kind === 'Status') continue;
      if (c.kind === 'Alert' && c.data === AlertCode.NextMessage) {
        serverWantsMore = true;
        this.outbox.queue.push(commandStatus(ctx.msgRef, c, 200));
        continue;
      }
      commands++;
      if (serverOk) await this.run(c, ctx, this.outbox.queue);
      else emit(this.outbox.queue, ctx, c, 215);
    }
    this.commit();
    this.endOfMessage(m, serverOk, commands > 0, serverWantsMore);
  }

  /** Decodes a reply; one that cannot be read, or belongs to another session, turns the session to aborting. */
  private read(msg: InboundMessage): SyncMLMessage | undefined {
    this.stats.messagesReceived++;
    this.stats.bytesReceived += msg.body.length;
    let m: SyncMLMessage;
    try {
      m = decodeMessage(msg.body, this.o.utf8);
      if (m.hdr.sessionId !== this.o.sessionId) {
        throw new DmError('DM_ERR_SESSION', 400, `reply carries SessionID ${m.hdr.sessionId}, expected ${this.o.sessionId}`);
      }
    } catch (e) {
      // Nothing in a package we cannot read can be answered command by command: abort cleanly (Alert 1223).
      this.error = asDmError(e);
      this.log('warn', `server message refused: ${this.error.message}`, { code: this.error.code, status: this.error.status });
      this.phase = 'aborting';
      return undefined;
    }
    if (m.hdr.respURI) this.targetUri = m.hdr.respURI;
    if (m.hdr.meta?.maxMsgSize) this.outbox.serverMaxMsgSize = m.hdr.meta.maxMsgSize;
    return m;
  }

  /**
   * The server's Statuses about what we sent. False when they end the processing of this message: a fatal
   * one ends the session, a fresh challenge for our credential queues package 1 again.
   */
  private takeStatuses(m: SyncMLMessage): boolean {
    let rechallenged = false;
    for (const c of m.body) {
      if (c.kind !== 'Status') continue;
      const r = this.auth.onStatus(c);
      if (r instanceof DmError) {
        this.fail(r);
        return false;
      }
      if (r === 'resend') rechallenged = true;
      else if (c.cmd === 'Alert') this.alertAnswered(c);
    }
    if (!rechallenged) return true;
    // Re-send package 1 with the new credential (DM Security §5.1.3): alerts not yet acknowledged go again.
    this.outbox.queue.length = 0;
    this.o.alerts = this.o.alerts.filter((a) => !this.acknowledged.includes(a.id));
    this.queuePackage1();
    return false;
  }

  /** The server ended the session; a client that receives 1223 SHOULD NOT answer (DM Protocol §8.x). */
  private serverAborted(m: SyncMLMessage): boolean {
    if (!m.body.some((c) => c.kind === 'Alert' && c.data === AlertCode.SessionAbort)) return false;
    this.end('aborted', new DmError('DM_ERR_SESSION', 500, 'server aborted the session (Alert 1223)'));
    this.commit();
    return true;
  }

  /** After the server's commands: the session goes on sending, or is over. */
  private endOfMessage(m: SyncMLMessage, serverOk: boolean, hadCommands: boolean, serverWantsMore: boolean): void {
    // fail() while a command waited (a UI answer, an Exec) has ended the session already.
    if (this.phase !== 'processing') return;
    if (!serverOk && this.auth.serverGaveUp()) {
      this.fail(new DmError('DM_ERR_AUTH', 401, 'the server failed to authenticate'));
      return;
    }
    this.phase = 'sending';
    if (!m.final) {
      // The server's package continues: answer this message without Final and ask for the next one. Unless
      // the server took part of our package and asks for the rest (Alert 1222): ours still ends with Final
      // once the outbox is drained.
      this.outbox.continuing = !serverWantsMore;
      return;
    }
    this.outbox.continuing = false;
    // A package that ended in the middle of a large object: its end never came.
    this.large.abandon(this.outbox.queue);
    // A Chal that only renews the server's nonce (it authenticated) is no reason to answer: with HMAC it
    // rides on every SyncHdr Status and would otherwise keep the session going for ever.
    if (this.outbox.queue.length === 0 && !hadCommands && serverOk) {
      // Nothing to answer but the SyncHdr Status: that message MUST NOT be sent; the session is over.
      this.outbox.hdrStatus = undefined;
      this.end('completed');
    }
  }

  /** The server's answer to a Generic Alert of ours: acknowledged, or refused for good. */
  private alertAnswered(s: StatusCmd): void {
    const code = Number(s.data);
    const id = this.alertRefs.get(`${s.msgRef}:${s.cmdRef}`);
    if (id === undefined) return;
    if (code === 200 || code === 202) this.acknowledged.push(id);
    else if (code >= 400 && code !== 401 && code !== 407 && code < 500) this.rejected.push(id);
    this.alertRefs.delete(`${s.msgRef}:${s.cmdRef}`);
  }

  // ---------------------------------------------------------------- the server's commands

  /**
   * Runs one command of the server's, or answers it unrun: a Status (nothing to do), anything after a
   * user's cancel (215), a command the device does not take (406). Not an async function: the commands that
   * complete at once (Add, Replace, Get …) run in a plain frame, and an Atomic's or Sequence's children then
   * add no async frames under the tree's own calls (an Atomic adding a Download node needed 686 stack slots
   * on XS, the device has 640).
   */
  private run(c: Command, ctx: RunContext, out: Command[]): number | Promise<number> {
    if (c.kind === 'Status') return 200;
    if (ctx.cancelled) return emit(out, ctx, c, 215);
    // A large object's chunks come in a row: any other command means its end never comes.
    const large = this.large.uri;
    if (
      large !== undefined &&
      !(
        (c.kind === 'Add' || c.kind === 'Replace') &&
        c.items[0]?.target?.locURI !== undefined &&
        treeUri(c.items[0].target.locURI) === large
      )
    ) {
      this.large.abandon(out);
    }
    try {
      switch (c.kind) {
        // A closure only for the commands that wait: the others (most of a package) make none.
        case 'Alert':
          return this.commands.runAlert(c, ctx, out).catch((e) => this.failed(c, ctx, out, e));
        case 'Add':
        case 'Replace':
        case 'Delete':
        case 'Copy':
          return this.commands.runItems(c, ctx, out);
        case 'Get':
          return this.commands.runGet(c, ctx, out);
        case 'Exec':
          return this.commands.runExec(c, ctx, out).catch((e) => this.failed(c, ctx, out, e));
        case 'Atomic':
          return this.runAtomic(c, ctx, out).catch((e) => this.failed(c, ctx, out, e));
        case 'Sequence':
          return this.runSequence(c, ctx, out).catch((e) => this.failed(c, ctx, out, e));
        case 'Results':
        case 'Unsupported':
          return emit(out, ctx, c, 406);
      }
    } catch (e) {
      return this.failed(c, ctx, out, e);
    }
    return 500;
  }

  /** The Status of a command that threw: the error's DM status, logged. */
  private failed(c: Command, ctx: RunContext, out: Command[], e: unknown): number {
    const err = asDmError(e);
    this.log('warn', `${c.kind} ${'cmdId' in c ? c.cmdId : ''} failed: ${err.message}`, { status: err.status });
    return emit(out, ctx, c, err.status);
  }

  private async runAtomic(c: ContainerCmd, ctx: RunContext, out: Command[]): Promise<number> {
    if (ctx.inAtomic) return emit(out, ctx, c, 500);
    await onFreshStack();
    const snapshot = this.o.tree.snapshot();
    const inner: Command[] = [];
    const innerCtx: RunContext = { ...ctx, inAtomic: true };
    let failedAt = -1;
    const codes: number[] = [];
    for (let i = 0; i < c.commands.length; i++) {
      const child = c.commands[i]!;
      let code: number;
      if (!ATOMIC_ALLOWED.has(child.kind)) {
        // Get, Exec, Sequence or a nested Atomic have no place in an Atomic (DM RepPro §6.6.3): 500.
        code = emit(inner, innerCtx, child, 500);
      } else {
        code = await this.run(child, innerCtx, inner);
      }
      codes.push(code);
      // A 304 (user said No) or 214 (cancel) inside Atomic fails it just as an error does.
      if (code >= 300 || code === 214) {
        failedAt = i;
        break;
      }
    }
    if (failedAt < 0) {
      emit(out, ctx, c, 200);
      for (const s of inner) out.push(s);
      return 200;
    }
    this.o.tree.restore(snapshot);
    emit(out, ctx, c, 507);
    // Roll-back statuses: executed commands 216, the failing one its own code, the rest 215.
    for (const s of inner) {
      if (s.kind !== 'Status') continue;
      const idx = c.commands.findIndex((x) => 'cmdId' in x && x.cmdId === s.cmdRef);
      if (idx >= 0 && idx < failedAt && Number(s.data) < 300) s.data = '216';
    }
    for (const s of inner) out.push(s);
    for (let i = failedAt + 1; i < c.commands.length; i++) emit(out, ctx, c.commands[i]!, 215);
    if (ctx.cancelled === false && codes[failedAt] === 214) ctx.cancelled = true;
    return 507;
  }

  private async runSequence(c: ContainerCmd, ctx: RunContext, out: Command[]): Promise<number> {
    await onFreshStack();
    emit(out, ctx, c, 200);
    let skip = false;
    for (const child of c.commands) {
      if (skip || ctx.cancelled) {
        emit(out, ctx, child, 215);
        continue;
      }
      const code = await this.run(child, ctx, out);
      // A No (304) to a confirm inside a Sequence skips the rest of the Sequence (DM Protocol §10.x UI).
      if (code === 304 && child.kind === 'Alert') skip = true;
    }
    return 200;
  }

  // ---------------------------------------------------------------- committing

  /** Commits what the session left uncommitted (a received nonce); the driver calls it once the session is over. */
  close(): void {
    this.commit(this.auth.nonceUnsaved);
  }

  /** Commits the tree when a command changed it, or when `also` (a nonce to keep): a received nonce rides along. */
  private commit(also = false): void {
    if (!this.commands.changed && !also) return;
    this.commands.changed = false;
    this.auth.nonceUnsaved = false;
    try {
      this.o.tree.commit();
    } catch (e) {
      this.log('error', `tree commit failed: ${asDmError(e).message}`);
    }
  }

  private log(level: 'error' | 'warn' | 'info' | 'debug', message: string, fields?: Record<string, unknown>): void {
    this.o.log?.log(level, message, fields);
  }
}

/**
 * Resolves on the next turn of the job queue. A container (Atomic, Sequence) awaits it before its children,
 * so that they run on the stack a job starts with rather than under every frame of the container's caller:
 * each nesting level cost about 74 of the device's 640 stack slots (Sequence{Atomic{Add}} needed 694).
 */
function onFreshStack(): Promise<void> {
  return Promise.resolve();
}

/** Binary values travel as base64 text in XML (no opaque there) and as OPAQUE in WBXML. */
function dataForWire(data: string | Uint8Array, encoding: Encoding): string | Uint8Array {
  return data instanceof Uint8Array && encoding === 'xml' ? base64Encode(data) : data;
}

export { AUTH_BASIC, AUTH_MD5, AUTH_MAC, estimatedSize };
export type { Cred };
