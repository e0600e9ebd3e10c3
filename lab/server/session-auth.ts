// Authentication in a session, both ways, around the accounts and digests of auth.ts: the device's credential
// on each of its messages (authenticate: 212, or a 401/407 challenge with a new nonce), and the server's own
// credential: the device's answer to it in its Status for the server's SyncHdr, the Cred or HMAC of a reply,
// and the re-sending of what the device refused with it.
import type { Cred, StatusCmd, SyncMLMessage } from '../../agent/syncml/model.js';
import { base64Decode, base64Encode } from '../../agent/util/bytes.js';
import { parseHmacHeader } from '../../agent/session/auth.js';
import { commandStatus } from '../../agent/syncml/statuses.js';
import type { DeviceAccount } from './auth.js';
import {
  type AccountBook,
  basicUser,
  explainRefusal,
  schemeUrn,
  serverCred,
  serverHmac,
  staleNonce,
  verifyDevice,
  type KnownNonce,
} from './auth.js';
import type { DeviceBook } from './devices.js';
import type { DeviceRecord, RequestMeta, ServerContext, SessionAuth, SessionState } from './types.js';
import { withDefined } from '../../agent/util/options.js';

const MAX_AUTH_FAILURES = 5;
const MAX_SERVER_AUTH_RETRIES = 2;

export function newSessionAuth(): SessionAuth {
  return { authed: false, failures: 0, serverAccepted: false, serverRetries: 0 };
}

/**
 * The Statuses of the commands of a message the device was not authenticated for. A reply that reports an
 * authentication failure holds a Status for every command received (DM Protocol 1.2, Authentication): each
 * gets the SyncHdr's 401 or 407 with its Chal, since "the response code to a request (message or command)"
 * that requires authentication is 401/407 and carries a Chal. libdmclient re-sends exactly the commands
 * answered so (a 215 it drops for good); this project's agent re-sends its whole package 1 either way. A
 * Status gets no Status.
 */
export function unauthorized(msg: SyncMLMessage, hdrStatus: StatusCmd): StatusCmd[] {
  return msg.body
    .filter((c) => c.kind !== 'Status')
    .map((c) => {
      const s = commandStatus(msg.hdr.msgId, c, Number(hdrStatus.data));
      if (hdrStatus.chal) s.chal = hdrStatus.chal;
      return s;
    });
}

export class SessionAuthenticator {
  /** The reject-credentials-once injection happened. */
  private credentialsRejected = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly accounts: AccountBook,
    private readonly devices: DeviceBook,
  ) {}

  /**
   * Checks the device's credential and sets the Status of its SyncHdr (`hdrStatus`): 212 (or 200 + Chal
   * under HMAC) when it authenticated, 401/407 + Chal when not; false then, and the session is in phase auth.
   */
  authenticate(st: SessionState, msg: SyncMLMessage, body: Uint8Array, meta: RequestMeta, hdrStatus: StatusCmd): boolean {
    const dev = st.device;
    const devId = dev.devId;
    const found = this.accounts.find(devId, msg.hdr.source.locName, meta.hmac, msg.hdr.cred);
    const account = found?.account;
    if (account && dev.account !== account) {
      dev.account = account;
      if (account.nonce !== undefined && dev.sessions <= 1) dev.clientNonce = base64Decode(account.nonce);
      if (account.server?.nonce !== undefined) dev.serverNonce = base64Decode(account.server.nonce);
    }
    const hmacAccount = account?.auth === 'hmac';
    if (st.auth.authed && !hmacAccount) return true;
    if (found && found.by !== 'LocName' && found.by !== 'HMAC username' && st.auth.failures === 0) {
      // Not a deviation (no rule requires a LocName), but worth a line: the lab user sees which account answered.
      const locName = msg.hdr.source.locName;
      this.ctx.log(
        'info',
        `device ${devId}: ${locName === undefined ? 'no LocName' : `no account named ${locName}`}; account ${found.account.username} found by ${found.by === 'DevId' ? 'the DevId it is bound to' : 'the user name in its basic credential'}`,
      );
    }
    const challenge = (code: 401 | 407, type: string) => {
      this.renewClientNonce(dev);
      hdrStatus.data = String(code);
      hdrStatus.chal = {
        // A basic challenge carries no nonce.
        meta: withDefined({ type, format: 'b64' }, { nextNonce: type === schemeUrn('basic') ? undefined : base64Encode(dev.clientNonce) }),
      };
      st.phase = 'auth';
      if (++st.auth.failures > MAX_AUTH_FAILURES)
        this.ctx.log('warn', `device ${devId}: ${st.auth.failures} failed authentications in session ${st.sessionId}`);
    };
    if (!account) {
      const name =
        msg.hdr.source.locName ?? basicUser(msg.hdr.cred) ?? (meta.hmac !== undefined ? parseHmacHeader(meta.hmac)?.username : undefined);
      const who = name !== undefined ? `user ${name}, nor one bound to this DevId` : 'this DevId (and no LocName or user name names one)';
      this.ctx.log('warn', `device ${devId}: no account for ${who}${msg.hdr.cred ? '' : '; no credential'}; challenging with MD5`);
      challenge(msg.hdr.cred || meta.hmac ? 401 : 407, schemeUrn('md5'));
      return false;
    }
    const verdict = verifyDevice(this.ctx.hashes, account, msg.hdr.cred, meta.hmac, body, dev.clientNonce);
    if (verdict === 'ok' && !this.credentialsRejected && this.ctx.failures.take('reject-credentials-once')) {
      this.credentialsRejected = true;
      this.ctx.log('warn', `injected failure: rejecting ${account.username}'s valid credential once`);
      challenge(401, schemeUrn(account.auth));
      return false;
    }
    if (verdict !== 'ok') {
      const stale =
        verdict === 'bad' ? staleNonce(this.ctx.hashes, account, msg.hdr.cred, meta.hmac, body, knownNonces(dev, account)) : undefined;
      // A first refusal for a missing credential or a stale nonce is how a session often begins: info, not a warning.
      this.ctx.log(
        st.auth.failures === 0 && (verdict === 'missing' || stale) ? 'info' : 'warn',
        `device ${devId} (${account.username}): ${verdict === 'missing' ? 'credential missing' : 'credential refused'}: ${
          stale
            ? `right password, but made with ${stale.what}, not with the last NextNonce this server sent`
            : explainRefusal(account, msg.hdr.cred, meta.hmac)
        }; sending ${verdict === 'missing' ? 407 : 401} with a new nonce`,
      );
      challenge(verdict === 'missing' ? 407 : 401, schemeUrn(account.auth));
      return false;
    }
    if (account.auth === 'hmac') {
      // HMAC: every message is checked, each with a fresh nonce; an authenticated message gets 200 + Chal.
      this.renewClientNonce(dev);
      hdrStatus.chal = { meta: { type: schemeUrn('hmac'), format: 'b64', nextNonce: base64Encode(dev.clientNonce) } };
    } else if (account.auth !== 'none') {
      hdrStatus.data = '212';
      if (account.auth === 'md5') {
        // 212: authenticated for this session; the nonce in this Chal is for the next session.
        this.renewClientNonce(dev);
        hdrStatus.chal = { meta: { type: schemeUrn('md5'), format: 'b64', nextNonce: base64Encode(dev.clientNonce) } };
      }
    }
    if (!st.auth.authed)
      this.ctx.log('info', `device ${devId} authenticated as ${account.username} (${account.auth}), session ${st.sessionId}`);
    st.auth.authed = true;
    this.devices.admit(dev);
    if (st.phase === 'auth') st.phase = 'start';
    return true;
  }

  /** The device's Status for the server's SyncHdr: its nonce for the server, and whether it took the server's credential. */
  onHeaderStatus(st: SessionState, s: StatusCmd): 'ok' | 'server-refused' {
    const code = Number(s.data);
    const devId = st.device.devId;
    if (s.chal?.meta.nextNonce !== undefined) {
      try {
        st.device.serverNonce = base64Decode(s.chal.meta.nextNonce);
      } catch {
        this.ctx.deviate(st, `NextNonce '${s.chal.meta.nextNonce}' in the device's Chal is not base64`);
      }
    }
    if (!isStatusCode(s.data)) {
      // libdmclient answers 0 when it expects a server credential and got none: say what would help.
      const hint = st.device.account && !st.device.account.server ? headerStatusHint : '';
      this.ctx.deviate(st, `Status '${s.data}' for the server's SyncHdr is not a status code ${STATUS_CODE_RULE}${hint}`);
    }
    if (code === 212 || (code === 200 && st.device.account?.server?.auth === 'hmac')) st.auth.serverAccepted = true;
    if (code === 401 || code === 407) {
      st.auth.refusedMsgRef = s.msgRef;
      const account = st.device.account;
      if (!account?.server) {
        this.ctx.log(
          'error',
          `device ${devId} asks the server to authenticate (${code}${s.chal?.meta.type ? ` ${s.chal.meta.type}` : ''}) but its account has no server credential (add "server" to the devices table)`,
        );
      } else {
        this.ctx.log('warn', `device ${devId} refused the server's credential (${code}); re-sending with its new nonce`);
      }
      st.auth.serverAccepted = false;
      return 'server-refused';
    }
    if (code >= 300) this.ctx.deviate(st, `device answered the server's SyncHdr with ${code}`);
    return 'ok';
  }

  /**
   * The device refused the server's credential: its commands were not executed (215) and are sent again, with a
   * credential on the new nonce, at most MAX_SERVER_AUTH_RETRIES times; false after that (the session ends).
   */
  retryServerCred(st: SessionState): boolean {
    if (++st.auth.serverRetries > MAX_SERVER_AUTH_RETRIES) {
      this.ctx.log(
        'error',
        `device ${st.device.devId} refused the server's credential ${st.auth.serverRetries} times: check the server credentials in the devices table; ending the session`,
      );
      return false;
    }
    st.out.outbox = [...st.out.lastCommands, ...st.out.outbox];
    return true;
  }

  private renewClientNonce(dev: DeviceRecord): void {
    dev.previousClientNonce = dev.clientNonce;
    dev.clientNonce = this.ctx.crypto.randomBytes(16);
  }
}

/** Why a device may answer the server's SyncHdr with no status code at all. */
const headerStatusHint =
  '; this server sent no credential of its own: does the device expect one (--server-cred, or "server" in the devices table)?';

/** The rule a Status code must follow, as deviations name it. */
export const STATUS_CODE_RULE = '(DM RepPro 1.2, Status: a response code of 3 digits, 1xx to 5xx)';

/** A SyncML response code: three digits, 1xx to 5xx (libdmclient answers 0 when it has not checked the server's credential). */
export function isStatusCode(data: string | undefined): boolean {
  return data !== undefined && /^[1-5]\d\d$/.test(data);
}

/** The server has a credential for the device that the device has not accepted yet. */
export function awaitingServerAuth(st: SessionState): boolean {
  return Boolean(st.device.account?.server) && !st.auth.serverAccepted;
}

/** The Cred of the server's SyncHdr (basic, md5) while the device has not accepted it. */
export function headerCred(ctx: ServerContext, st: SessionState): Cred | undefined {
  const account = st.device.account;
  if (!account?.server || account.server.auth === 'hmac' || st.auth.serverAccepted) return undefined;
  return serverCred(ctx.hashes, account, st.device.serverNonce);
}

/** The x-syncml-hmac header of a reply when the server authenticates to the device with HMAC. */
export function replyHmac(ctx: ServerContext, st: SessionState, body: Uint8Array): string | undefined {
  const account = st.device.account;
  return account ? serverHmac(ctx.hashes, account, st.device.serverNonce, body) : undefined;
}

/** Nonces other than the current one that a device with the right password may have used. */
function knownNonces(dev: DeviceRecord, account: DeviceAccount): KnownNonce[] {
  const known: KnownNonce[] = [{ nonce: new Uint8Array(0), what: 'an empty nonce (the device has none from this server yet)' }];
  if (account.nonce !== undefined) known.push({ nonce: base64Decode(account.nonce), what: "the account's factory nonce" });
  if (dev.previousClientNonce)
    known.push({ nonce: dev.previousClientNonce, what: 'the nonce before it (the device did not get the last Chal)' });
  return known;
}
