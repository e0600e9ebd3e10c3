// Contracts between the session engine and what plugs into it: its caller (options, outcome), the UI and
// the Exec handlers.
import type { Crypto, Log, Utf8 } from '../ports.js';
import type { AlertCmd, Item } from '../syncml/model.js';
import type { Encoding } from '../syncml/codec.js';
import type { DmAccount, DmTree, Principal } from '../tree/types.js';
import type { GenericAlert } from '../alerts/types.js';
import type { DmError } from '../errors.js';

export interface SessionOptions {
  tree: DmTree;
  account: DmAccount;
  devId: string;
  crypto: Crypto;
  /** The platform's native UTF-8 converter, if it has one. */
  utf8?: Utf8;
  encoding: Encoding;
  /** 1 to 4 upper-case hex digits is what DM Notification uses; any short token works for client sessions. */
  sessionId: string;
  /** Generic Alerts to send in package 1 (the persisted queue's pending alerts). */
  alerts: GenericAlert[];
  exec: ExecRegistry;
  ui?: UiResponder;
  /** Largest message we accept, announced in SyncHdr Meta (default 16384). */
  maxMsgSize?: number;
  /** Largest message the transport can send (Transport.maxMessageBytes); below the server's MaxMsgSize it rules. */
  maxSendSize?: number;
  /** Largest object we accept (default: the tree's largest value, at most 65536). */
  maxObjSize?: number;
  /** Most nodes a `?list=` answer may hold; more is 413 (default 256). Each costs heap until it is sent. */
  maxListNodes?: number;
  /** Credential retries after a 401/407 before giving up (default 2). */
  maxAuthRetries?: number;
  /** Guard against a server that never ends the session (default 64 messages). */
  maxMessages?: number;
  /**
   * Writes a nonce received from (client) or issued to (server) the DM server into the tree; the session
   * commits it. A nonce we issue is committed before it goes out: a device that lost it after a power cut
   * would accept the old one again (a replay). One we receive rides on the next commit, or on close(): lost,
   * it costs the next session one 401 and a fresh challenge, not a flash write per server message.
   */
  saveNonce?: (which: 'client' | 'server', nonce: Uint8Array) => void;
  log?: Log;
}

export type SessionState = 'running' | 'completed' | 'failed' | 'aborted';

export interface SessionOutcome {
  state: SessionState;
  ok: boolean;
  error?: DmError;
  /** Alert ids the server answered with 200/202. */
  acknowledged: string[];
  /** Alert ids the server refused for good (4xx other than auth): re-sending would not help. */
  rejected: string[];
  /** Execs answered 202: work to run after the session. */
  execAccepted: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
}

/** The answer to a UI alert (1100-1104): the Status code and the Items that go in that Status. */
export interface UiAnswer {
  status: number;
  items: Item[];
}

/** Renders a server UI alert to the user and returns what the DM standard says to answer. */
export interface UiResponder {
  answer(alert: AlertCmd): Promise<UiAnswer>;
}

export interface ExecContext {
  uri: string; // the executed node, normalised './…'
  correlator?: string;
  data?: string | Uint8Array; // Item/Data of the Exec, if any
  principal: Principal; // server ID that sent it
  tree: DmTree;
}

/**
 * An Exec handler returns the Status code for the Exec: 200 when the work is done, 202 when it was
 * accepted and runs after the session (the result is reported later with a Generic Alert), or an
 * error status. It may throw a DmError, whose status is used.
 */
export type ExecHandler = (ctx: ExecContext) => Promise<number> | number;

/** Exec handlers by URI pattern; '*' matches exactly one path segment. */
export class ExecRegistry {
  private readonly entries: { parts: string[]; handler: ExecHandler }[] = [];

  register(pattern: string, handler: ExecHandler): void {
    this.entries.push({ parts: pattern.split('/'), handler });
  }

  find(uri: string): ExecHandler | undefined {
    const parts = uri.split('/');
    for (const e of this.entries) {
      if (e.parts.length !== parts.length) continue;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) ok = e.parts[i] === '*' || e.parts[i] === parts[i];
      if (ok) return e.handler;
    }
    return undefined;
  }
}
