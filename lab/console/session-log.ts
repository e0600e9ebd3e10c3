// What the console keeps of the lab server's traffic: each session with its messages (the bytes as they
// went, both directions), where each deviation happened, and each device's contact (transport, encoding,
// last contact, results with their time). It is the server's observer (LabObserver): the server calls it
// as messages come and go, and it tells the console's listeners (the /api/events stream) what changed.
// Bounded like the server's own records: the newest sessions are kept, the oldest go first. A message the
// server refused before it matched a session is an entry of its own (status refused, with the reason), and
// the firmware Get's Results that pass are kept as the device's firmware as last read.
// Over 400 lines: one class, the observer, whose calls share the session records, the device contacts and
// their bounds; split, each half would reach into the other's maps.
import { decodeMessage, sniffEncoding } from '../../agent/syncml/codec.js';
import type { Command } from '../../agent/syncml/model.js';
import { nodeUtf8 } from '../../platform/node/utf8.js';
import { bytesEqual } from '../../agent/util/bytes.js';
import { withDefined } from '../../agent/util/options.js';
import type { Deviation, LabDmServer, LabObserver, LabReply, OperationOutcome, RefusedMessage, RequestMeta } from '../server/dm-server.js';
import { readFirmwareResults } from '../server/firmware.js';
import type { SessionState } from '../server/types.js';
import { ruleFor } from './rules.js';
import type { CaptureWriter } from './capture.js';

/** Sessions kept (the newest), messages kept of one session, and bytes kept in all. */
export const LIMITS = { sessions: 500, messagesPerSession: 400, bytes: 64 << 20, results: 1000, refusedBytes: 64 << 10 } as const;

export type SessionStatus = 'open' | 'ended' | 'aborted' | 'refused';

export interface MessageEntry {
  dir: 'device' | 'server';
  at: number;
  bytes: Uint8Array;
  contentType: string;
  httpStatus?: number;
  lost?: boolean;
  retransmission?: boolean;
  msgId?: string;
  /** The commands, in a few words ("Alert 1201, Replace, Final"). */
  summary: string;
  /** Only the first bytes of the body are kept (a refused message past LIMITS.refusedBytes, or a 413). */
  truncated?: boolean;
}

export interface DeviationEntry {
  /** Index of the message it was found in (the device message being processed). */
  message: number;
  text: string;
  rule: string;
}

export interface SessionEntry {
  id: string;
  devId: string;
  sessionId: string;
  transport: string;
  encoding: string;
  startedAt: number;
  lastAt: number;
  status: SessionStatus;
  authed: boolean;
  phase: string;
  messages: MessageEntry[];
  deviations: DeviationEntry[];
  bytes: number;
  /** Why the server refused the message before it matched a session (status 'refused', no SyncML reply). */
  reason?: string;
}

export interface ResultEntry {
  devId: string;
  sessionId: string;
  at: number;
  resultCode: number;
  ok: boolean;
  correlator?: string;
  component?: string;
  version?: string;
  /** A FUMO result (org.openmobilealliance.dm.firmwareupdate.*), not a SCOMO one. */
  firmware: boolean;
}

/** The device's firmware as the server last read it (./DevDetail/FwV, ./FUMO/fw/State), and when. */
export interface FirmwareRead {
  version?: string;
  state?: string;
  at: number;
  session: string;
}

export interface DeviceContact {
  devId: string;
  transport: string;
  encoding: string;
  firstSeen: number;
  lastContact: number;
  deviations: number;
  results: ResultEntry[];
  firmware?: FirmwareRead;
}

export type LogEvent =
  | { type: 'session'; id: string }
  | { type: 'device'; devId: string }
  | { type: 'catalog' }
  | { type: 'screen'; devId: string };

const key = (devId: string, sessionId: string) => `${devId}\u0000${sessionId}`;

/** A few words on what a message holds. */
export function summarize(
  bytes: Uint8Array,
  contentType: string,
): { summary: string; msgId?: string; abort: boolean; firmware?: { version?: string; state?: string } } {
  if (!/syncml/i.test(contentType)) return { summary: `${contentType.split(';')[0]} (${bytes.length} bytes)`, abort: false };
  try {
    const m = decodeMessage(bytes, nodeUtf8);
    const parts: string[] = [];
    let abort = false;
    let firmware: { version?: string; state?: string } | undefined;
    const walk = (cs: Command[]) => {
      for (const c of cs) {
        if (c.kind === 'Atomic' || c.kind === 'Sequence') {
          parts.push(c.kind);
          walk(c.commands);
        } else if (c.kind === 'Alert') {
          parts.push(`Alert ${c.data ?? ''}`.trim());
          if (c.data === '1223') abort = true;
        } else if (c.kind === 'Status') parts.push(`Status ${c.data}`);
        else if (c.kind === 'Results') {
          parts.push('Results');
          // The firmware Get's Results (lab/server/firmware.ts): the firmware as read.
          const read = readFirmwareResults(c.items);
          if (read.version !== undefined || read.state !== undefined) firmware = { ...firmware, ...read };
        } else parts.push(c.kind === 'Unsupported' ? c.name : c.kind);
      }
    };
    walk(m.body);
    if (m.final) parts.push('Final');
    return withDefined({ summary: compact(parts), msgId: m.hdr.msgId, abort }, { firmware });
  } catch (e) {
    return { summary: `undecodable: ${(e as Error).message}`, abort: false };
  }
}

/** summarize's words and MsgID, for a MessageEntry. */
function said(bytes: Uint8Array, contentType: string): { summary: string; msgId?: string } {
  const { summary, msgId } = summarize(bytes, contentType);
  return msgId === undefined ? { summary } : { summary, msgId };
}

function lastDeviceMessage(s: SessionEntry): MessageEntry | undefined {
  for (let i = s.messages.length - 1; i >= 0; i--) if (s.messages[i]!.dir === 'device') return s.messages[i];
  return undefined;
}

/** "Status 200 ×3" for repeats in a row. */
function compact(parts: string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < parts.length) {
    let j = i;
    while (j + 1 < parts.length && parts[j + 1] === parts[i]) j++;
    out.push(j > i ? `${parts[i]} ×${j - i + 1}` : parts[i]!);
    i = j + 1;
  }
  return out.join(', ');
}

function transportOf(meta: RequestMeta): string {
  const scheme = /^([a-z]+):/i.exec(meta.uri)?.[1]?.toLowerCase() ?? '';
  if (scheme.startsWith('mqtt')) return 'mqtt';
  if (scheme === 'https') return 'https';
  if (scheme === 'http') return 'http';
  return scheme || 'in-process';
}

export class SessionLog implements LabObserver {
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly byState = new WeakMap<object, SessionEntry>();
  private readonly current = new Map<string, SessionEntry>();
  private readonly pending = new Map<string, string[]>();
  private readonly devices = new Map<string, DeviceContact>();
  private readonly listeners = new Set<(e: LogEvent) => void>();
  private readonly aborted = new WeakSet<SessionEntry>();
  private next = 1;
  private bytes = 0;
  private outcomesSeen = 0;
  private server?: LabDmServer;
  /** Told of each device's session as it is processed (the queued failures of the console). */
  onProcessing?: (devId: string, sessionNo: number) => void;

  constructor(
    private readonly capture?: CaptureWriter,
    private readonly now: () => number = Date.now,
  ) {}

  /** The server whose results (outcomes) the log times; set once the lab has started. */
  attach(server: LabDmServer): void {
    this.server = server;
    this.outcomesSeen = server.totals().outcomes;
  }

  on(listener: (e: LogEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: LogEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a listener that fails (a closed stream) is its own business */
      }
    }
  }

  // ---------------------------------------------------------------- LabObserver

  processing(devId: string, sessionNo: number): void {
    this.onProcessing?.(devId, sessionNo);
  }

  deviceMessage(st: Readonly<SessionState>, body: Uint8Array, meta: RequestMeta): void {
    const at = this.now();
    let s = this.byState.get(st);
    const transport = transportOf(meta);
    let encoding = 'xml';
    try {
      encoding = sniffEncoding(body);
    } catch {
      /* the server refused it before this */
    }
    if (!s) {
      s = {
        id: `s${this.next++}`,
        devId: st.device.devId,
        sessionId: st.sessionId,
        transport,
        encoding,
        startedAt: at,
        lastAt: at,
        status: 'open',
        authed: false,
        phase: st.phase,
        messages: [],
        deviations: [],
        bytes: 0,
      };
      this.byState.set(st, s);
      this.sessions.set(s.id, s);
      this.current.set(key(s.devId, s.sessionId), s);
      this.trim();
    }
    const contentType = meta.contentType ?? (encoding === 'wbxml' ? 'application/vnd.syncml.dm+wbxml' : 'application/vnd.syncml.dm+xml');
    const { firmware, summary, msgId } = summarize(body, contentType);
    const m: MessageEntry = withDefined({ dir: 'device' as const, at, bytes: body, contentType, summary }, { msgId });
    // The same bytes as the session's last device message: the device lost the reply and sends it again.
    const last = lastDeviceMessage(s);
    if (last && bytesEqual(last.bytes, body)) m.retransmission = true;
    this.add(s, m);
    const early = this.pending.get(key(s.devId, s.sessionId));
    if (early) {
      this.pending.delete(key(s.devId, s.sessionId));
      for (const text of early) this.addDeviation(s, text);
    }
    const d = this.devices.get(s.devId) ?? {
      devId: s.devId,
      transport,
      encoding,
      firstSeen: at,
      lastContact: at,
      deviations: 0,
      results: [],
    };
    d.transport = transport;
    d.encoding = encoding;
    d.lastContact = at;
    if (firmware) d.firmware = { ...firmware, at, session: s.id };
    this.devices.delete(d.devId);
    this.devices.set(d.devId, d);
    if (this.devices.size > LIMITS.sessions * 4) this.devices.delete(this.devices.keys().next().value!);
    this.emit({ type: 'session', id: s.id });
  }

  serverMessage(st: Readonly<SessionState>, reply: LabReply | undefined, retransmission: boolean): void {
    const s = this.byState.get(st);
    if (!s) return;
    const at = this.now();
    if (reply) {
      const m: MessageEntry = {
        dir: 'server',
        at,
        bytes: reply.body,
        contentType: reply.contentType,
        httpStatus: reply.status ?? 200,
        ...said(reply.body, reply.contentType),
      };
      if (retransmission) m.retransmission = true;
      this.add(s, m);
    } else this.add(s, { dir: 'server', at, bytes: new Uint8Array(0), contentType: '', lost: true, summary: 'reply lost (injected)' });
    s.authed = st.auth.authed;
    s.phase = st.phase;
    if (this.aborted.has(s)) s.status = 'aborted';
    else if (st.ended) s.status = s.authed ? 'ended' : 'refused';
    this.timeResults(at);
    this.emit({ type: 'session', id: s.id });
    this.emit({ type: 'device', devId: s.devId });
  }

  deviation(d: Deviation): void {
    const s = this.current.get(key(d.devId, d.sessionId));
    // Found before the message was matched to its session (its Content-Type, its Target): the next message of that session.
    if (s?.status !== 'open') {
      const k = key(d.devId, d.sessionId);
      const list = this.pending.get(k) ?? [];
      if (list.length < 16) list.push(d.message);
      this.pending.set(k, list);
      if (this.pending.size > 1024) this.pending.delete(this.pending.keys().next().value!);
      return;
    }
    this.addDeviation(s, d.message, (d as { rule?: string }).rule);
  }

  /**
   * A message refused before it matched a session: an entry of its own (status refused, the reason), with the
   * device's bytes (the first LIMITS.refusedBytes) and the server's plain-text answer, exportable as any other.
   */
  refused(r: RefusedMessage): void {
    const at = this.now();
    const kept = r.body.length > LIMITS.refusedBytes ? r.body.slice(0, LIMITS.refusedBytes) : r.body;
    const contentType = r.meta.contentType ?? '';
    let devId = '';
    let sessionId = '';
    let encoding = 'unknown';
    try {
      encoding = sniffEncoding(r.body);
      const m = decodeMessage(r.body, nodeUtf8);
      devId = m.hdr.source.locURI;
      sessionId = m.hdr.sessionId;
    } catch {
      /* what the server could not read names no device */
    }
    const { summary, msgId } =
      /syncml/i.test(contentType) || encoding !== 'unknown'
        ? said(kept, contentType || 'application/vnd.syncml.dm+xml')
        : said(kept, contentType || 'application/octet-stream');
    const device: MessageEntry = withDefined({ dir: 'device' as const, at, bytes: kept, contentType, summary }, { msgId });
    if (r.truncated || kept !== r.body) device.truncated = true;
    const answer = new TextEncoder().encode(`${r.reason}\n`);
    const s: SessionEntry = {
      id: `s${this.next++}`,
      devId,
      sessionId,
      transport: transportOf(r.meta),
      encoding,
      startedAt: at,
      lastAt: at,
      status: 'refused',
      authed: false,
      phase: 'refused',
      messages: [],
      deviations: [],
      bytes: 0,
      reason: r.reason,
    };
    this.sessions.set(s.id, s);
    this.add(s, device);
    this.add(s, {
      dir: 'server',
      at,
      bytes: answer,
      contentType: 'text/plain; charset=utf-8',
      httpStatus: r.status,
      summary: `HTTP ${r.status}: ${r.reason}`,
    });
    this.emit({ type: 'session', id: s.id });
  }

  // ---------------------------------------------------------------- views

  session(id: string): SessionEntry | undefined {
    return this.sessions.get(id);
  }

  /** Newest first. */
  list(): SessionEntry[] {
    return [...this.sessions.values()].reverse();
  }

  contact(devId: string): DeviceContact | undefined {
    return this.devices.get(devId);
  }

  contacts(): DeviceContact[] {
    return [...this.devices.values()].reverse();
  }

  // ---------------------------------------------------------------- inside

  private add(s: SessionEntry, m: MessageEntry): void {
    if (s.messages.length >= LIMITS.messagesPerSession) return;
    if (m.summary.includes('Alert 1223')) this.aborted.add(s);
    s.messages.push(m);
    s.lastAt = m.at;
    s.bytes += m.bytes.length;
    this.bytes += m.bytes.length;
    this.capture?.write(
      withDefined(
        {
          at: new Date(m.at).toISOString(),
          session: s.id,
          devId: s.devId,
          sessionId: s.sessionId,
          dir: m.dir,
          contentType: m.contentType,
          bytes: m.bytes,
        },
        { httpStatus: m.httpStatus, lost: m.lost ? true : undefined, retransmission: m.retransmission ? true : undefined },
      ),
    );
    this.trim();
  }

  private addDeviation(s: SessionEntry, text: string, own?: string): void {
    if (s.deviations.length >= 200) return;
    let message = s.messages.length - 1;
    while (message > 0 && s.messages[message]!.dir !== 'device') message--;
    message = Math.max(0, message);
    s.deviations.push({ message, text, rule: ruleFor(text, own) });
    const d = this.devices.get(s.devId);
    if (d) d.deviations++;
  }

  /** Stamps the outcomes (result alerts) the server recorded since the last look with the time now. */
  private timeResults(at: number): void {
    const server = this.server;
    if (!server) return;
    const total = server.totals().outcomes;
    const fresh = total - this.outcomesSeen;
    if (fresh <= 0) return;
    this.outcomesSeen = total;
    const kept = server.outcomes();
    for (const o of kept.slice(Math.max(0, kept.length - fresh))) this.addResult(o, at);
  }

  private addResult(o: OperationOutcome, at: number): void {
    const d = this.devices.get(o.devId);
    if (!d) return;
    const firmware = o.deployment ? o.deployment.operation === 'DownloadAndUpdate' : (o.source ?? '').includes('FUMO');
    const r: ResultEntry = { devId: o.devId, sessionId: o.sessionId, at, resultCode: o.resultCode, ok: o.ok, firmware };
    if (o.correlator !== undefined) r.correlator = o.correlator;
    if (o.deployment) {
      r.component = o.deployment.componentId;
      r.version = o.deployment.version;
    }
    d.results.push(r);
    if (d.results.length > LIMITS.results) d.results.shift();
  }

  /** Past the bounds, the oldest sessions go. */
  private trim(): void {
    while (this.sessions.size > LIMITS.sessions || (this.bytes > LIMITS.bytes && this.sessions.size > 1)) {
      const [id, old] = this.sessions.entries().next().value!;
      this.sessions.delete(id);
      this.bytes -= old.bytes;
      if (this.current.get(key(old.devId, old.sessionId)) === old) this.current.delete(key(old.devId, old.sessionId));
    }
  }
}
