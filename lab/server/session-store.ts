// The sessions the server keeps, by device and SessionID: the open ones and the recently ended ones, each
// with a copy of its last device message and reply, so that a device re-sending a message whose reply it
// lost gets the same reply again. All of it is bounded, the least recently active going first.
import type { SyncMLMessage } from '../../agent/syncml/model.js';
import type { Encoding } from '../../agent/syncml/codec.js';
import { bytesEqual } from '../../agent/util/bytes.js';
import type { LabReply, ServerContext, SessionState } from './types.js';

/**
 * Sessions in progress the server keeps, most recently used last. A fleet keeps thousands open at once, so
 * the bound is wide; reaching it drops the least recently used one, with a warning.
 */
const MAX_OPEN_SESSIONS = 65536;
/** Ended sessions kept so that a device re-sending its last message (its reply was lost) gets it again. */
const MAX_ENDED_SESSIONS = 1024;
/**
 * Each kept session holds its last device message and reply, so that a retransmission gets the same reply:
 * up to 64 KiB and more each, and sessions are bounded by count. Past this many bytes in all, the copies of
 * the least recently active sessions are dropped (ended ones first) down to half; a retransmission of theirs
 * is then processed again.
 */
export const DEFAULT_RETAINED_LIMIT = 256 << 20;

const sessionKey = (devId: string, sessionId: string): string => `${devId}\u0000${sessionId}`;
const keyOf = (st: SessionState): string => sessionKey(st.device.devId, st.sessionId);

export class SessionStore {
  private readonly open = new Map<string, SessionState>();
  private readonly ended = new Map<string, SessionState>();
  /** Bytes of the copies the kept sessions hold. */
  private retainedBytes = 0;
  /** Sessions begun. */
  private begun = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly retainedLimit: number,
  ) {}

  /** DM sessions begun, those no longer kept included. */
  get count(): number {
    return this.begun;
  }

  /** The kept session a device message belongs to, if any; it takes on the message's encoding. */
  find(msg: SyncMLMessage, encoding: Encoding, body: Uint8Array): SessionState | undefined {
    const key = sessionKey(msg.hdr.source.locURI, msg.hdr.sessionId);
    const st = this.open.get(key) ?? this.ended.get(key);
    if (!st) return undefined;
    if (st.ended && msg.hdr.msgId === '1' && !isRetransmission(st, 1, body)) {
      // A device may draw the id of an earlier session again (16 bits, "unique per client"): that is a
      // deviation, but the new session is served, not read as a stray message of the ended one.
      this.ctx.deviate(st, 'SessionID of an ended session used again for a new session (MsgID 1)');
      this.forget(this.ended, key);
      return undefined;
    }
    if (st.out.encoding !== encoding) this.ctx.deviate(st, `encoding changed to ${encoding} within the session`);
    st.out.encoding = encoding;
    return st;
  }

  /** Keeps a new session, the most recently active; past the bound the least recently active is forgotten. */
  add(st: SessionState): void {
    this.begun++;
    if (this.open.size >= MAX_OPEN_SESSIONS) {
      const [oldKey] = this.open.keys();
      const old = this.forget(this.open, oldKey!)!;
      this.ctx.log(
        'warn',
        `more than ${MAX_OPEN_SESSIONS} sessions open: forgetting session ${old.sessionId} of ${old.device.devId}, the least recently active`,
      );
    }
    this.open.set(keyOf(st), st);
  }

  /**
   * After each reply: keeps the message and its reply in place of the last ones. An open session moves to
   * the end of the recency order, an ended one to the ended set; past retainedLimit, copies are dropped.
   */
  keep(st: SessionState, body: Uint8Array, reply: LabReply): void {
    this.release(st);
    st.copy = { body, reply };
    this.retainedBytes += body.length + reply.body.length;
    this.file(st);
    if (this.retainedBytes > this.retainedLimit) this.shed();
  }

  private file(st: SessionState): void {
    const key = keyOf(st);
    if (!this.open.delete(key)) return;
    if (!st.ended) {
      this.open.set(key, st);
      return;
    }
    if (this.ended.size >= MAX_ENDED_SESSIONS) this.forget(this.ended, this.ended.keys().next().value!);
    this.ended.set(key, st);
  }

  /** Forgets a kept session, and with it the bytes its copies held. */
  private forget(sessions: Map<string, SessionState>, key: string): SessionState | undefined {
    const st = sessions.get(key);
    if (!st) return undefined;
    sessions.delete(key);
    this.release(st);
    return st;
  }

  /** Forgets the session's copies of its last message and reply. */
  private release(st: SessionState): void {
    if (!st.copy) return;
    this.retainedBytes -= st.copy.body.length + st.copy.reply.body.length;
    delete st.copy;
  }

  /** Drops the copies of the least recently active sessions, ended ones first, down to half the limit. */
  private shed(): void {
    const before = this.retainedBytes;
    let dropped = 0;
    for (const kept of [this.ended, this.open]) {
      for (const st of kept.values()) {
        if (this.retainedBytes <= this.retainedLimit / 2) break;
        if (!st.copy) continue;
        this.release(st);
        dropped++;
      }
    }
    this.ctx.log(
      'warn',
      `kept copies of last messages and replies passed ${this.retainedLimit} bytes: dropped those of ${dropped} least recently active session(s) (${before} → ${this.retainedBytes} bytes); a retransmission of theirs is processed again`,
    );
  }
}

/** The device message is the session's last one again, byte for byte: its reply was lost. */
export function isRetransmission(
  st: SessionState,
  msgNo: number,
  body: Uint8Array,
): st is SessionState & { copy: NonNullable<SessionState['copy']> } {
  return st.deviceMsgId === msgNo && st.copy !== undefined && bytesEqual(st.copy.body, body);
}
