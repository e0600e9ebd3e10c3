// The session's side of authentication (DM Security §5.1): the credential our SyncHdr carries, the check
// of the server's (SRVCRED), and the nonces of both, which change as the session goes. The formulas are
// auth.ts's, shared with the lab server; what is kept here is what one session knows and has agreed.
import type { InboundMessage } from '../ports.js';
import type { Cred, StatusCmd, SyncMLMessage } from '../syncml/model.js';
import { DmError } from '../errors.js';
import { base64Decode, base64Encode } from '../util/bytes.js';
import { checkServerCred, clientCred, hmacHeader, schemeOf, UserPassHashes } from './auth.js';
import type { SessionOptions } from './types.js';

/** What the credentials are made from: the account, and the options SessionOptions documents. */
export type CredentialOptions = Pick<SessionOptions, 'account' | 'crypto' | 'maxAuthRetries' | 'saveNonce' | 'log'>;

export class Credentials {
  declare private clientNonce: Uint8Array;
  declare private serverNonce: Uint8Array;
  /** Client credential accepted for the rest of the session (212). */
  private clientAuthenticated = false;
  private serverAuthenticated = false;
  private authRetries = 0;
  private serverAuthFailures = 0;
  /** A received nonce is in the tree but not committed yet. */
  nonceUnsaved = false;
  /** The hashes of this account's and its server's "user:pass", made once per session. */
  declare private readonly hashes: UserPassHashes;

  declare private readonly o: CredentialOptions;

  constructor(o: CredentialOptions) {
    this.o = o;
    this.hashes = new UserPassHashes(o.crypto, 2);
    this.clientNonce = o.account.client.nonce;
    this.serverNonce = o.account.server.nonce;
  }

  /** The Cred for our SyncHdr, until the server has accepted ours for the session (212). */
  headerCred(): Cred | undefined {
    if (this.clientAuthenticated) return undefined;
    return clientCred(this.hashes, { ...this.o.account.client, nonce: this.clientNonce });
  }

  /** The x-syncml-hmac header of a message we send, when the account authenticates with HMAC. */
  hmac(body: Uint8Array): string | undefined {
    const auth = this.o.account.client;
    return auth.type === 'HMAC' ? hmacHeader(this.hashes, auth.name, auth.secret, this.clientNonce, body) : undefined;
  }

  /**
   * Checks the server's credential and fills in the Status for its SyncHdr (`hdrStatus`, 200 so far): its
   * code, and a Chal with a fresh nonce when one is due. True when the server is authenticated.
   */
  checkServer(m: SyncMLMessage, msg: InboundMessage, hdrStatus: StatusCmd): boolean {
    const expected = this.o.account.server;
    if (expected.type === 'NONE' || (this.serverAuthenticated && expected.type !== 'HMAC')) return true;
    const verdict = checkServerCred(this.hashes, { ...expected, nonce: this.serverNonce }, m.hdr.cred, msg.hmac, msg.body);
    const scheme = schemeOf(expected.type)!;
    if (verdict === 'ok') {
      this.serverAuthenticated = true;
      hdrStatus.data = expected.type === 'HMAC' ? '200' : '212';
    } else {
      this.serverAuthFailures++;
      hdrStatus.data = verdict === 'missing' ? '407' : '401';
      this.o.log?.log('warn', `server credential ${verdict}`, { status: hdrStatus.data });
    }
    // A fresh nonce for the server's next credential: HMAC needs one per message, digest one per session,
    // and after a failure one more challenge with a fresh nonce (DM Security §5.1.3.4).
    if (verdict !== 'ok' || expected.type === 'HMAC' || this.serverAuthFailures === 0) {
      // Persisted only when the Chal actually goes out (chalSent): a session that ends without sending it
      // must keep expecting the nonce the server already has.
      this.serverNonce = this.o.crypto.randomBytes(16);
      hdrStatus.chal = { meta: { type: scheme, format: 'b64', nextNonce: base64Encode(this.serverNonce) } };
    }
    return verdict === 'ok';
  }

  /** The server failed to authenticate more often than it may: the session ends. */
  serverGaveUp(): boolean {
    return this.serverAuthFailures > (this.o.maxAuthRetries ?? 2);
  }

  /**
   * A Chal with the nonce we issued is going out: it is saved before it goes (a device that lost it after a
   * power cut would accept the old one again, a replay). True when it was written: the tree is to be committed.
   */
  chalSent(): boolean {
    if (this.o.account.server.type === 'NONE' || !this.o.saveNonce) return false;
    this.o.saveNonce('server', this.serverNonce);
    return true;
  }

  /**
   * What a Status of the server tells about our credential: its Chal's NextNonce, and for the SyncHdr
   * whether the credential was accepted. 'resend' when it was refused with a challenge we can answer
   * (package 1 goes again); an error when the session cannot go on.
   */
  onStatus(s: StatusCmd): 'ok' | 'resend' | DmError {
    const code = Number(s.data);
    if (s.chal?.meta.nextNonce !== undefined) {
      try {
        this.clientNonce = base64Decode(s.chal.meta.nextNonce);
      } catch {
        return new DmError('DM_ERR_AUTH', 400, 'server sent a NextNonce that is not base64');
      }
      // Keep an unauthenticated peer's nonce for this session only (DM Security: do not overwrite the stored one).
      if ((this.o.account.server.type === 'NONE' || this.serverAuthenticated) && this.o.saveNonce) {
        this.o.saveNonce('client', this.clientNonce);
        this.nonceUnsaved = true;
      }
    }
    if (s.cmdRef !== '0' || s.cmd !== 'SyncHdr') return 'ok';
    if (code === 212) {
      this.clientAuthenticated = true;
      this.authRetries = 0;
      return 'ok';
    }
    if (code === 401 || code === 407) {
      const auth = this.o.account.client;
      const asked = s.chal?.meta.type;
      if (asked !== undefined && asked !== schemeOf(auth.type)) {
        return new DmError(
          'DM_ERR_AUTH',
          code,
          `server asks for ${asked}, the account is set up for ${schemeOf(auth.type) ?? 'no authentication'}`,
        );
      }
      if (s.chal === undefined && auth.type !== 'BASIC') {
        return new DmError('DM_ERR_AUTH', code, `server refused the credential (${code}) without a challenge`);
      }
      if (++this.authRetries > (this.o.maxAuthRetries ?? 2)) {
        return new DmError('DM_ERR_AUTH', code, `server refused the credential ${this.authRetries} times (${code})`);
      }
      this.clientAuthenticated = false;
      return 'resend';
    }
    if (code >= 300) return new DmError('DM_ERR_SESSION', code, `server refused the message header with status ${code}`);
    return 'ok';
  }
}
