// The server's messages: the commands it queues (each with what it is, its Tag), and the reply to a device
// message, which fits them to the device's MaxMsgSize and records what was sent, so that the device's
// Statuses and Results can be matched to it (handlers.ts). A reply also decides whether it ends the session.
import type { Command, SyncHdr, SyncMLMessage } from '../../agent/syncml/model.js';
import { AlertCode, MIME_WBXML, MIME_XML } from '../../agent/syncml/model.js';
import type { Encoding } from '../../agent/syncml/codec.js';
import { fitMessage } from '../../agent/syncml/fit.js';
import { alertCmd } from './commands.js';
import { encodeServerMessage } from './syncml-xml.js';
import { awaitingServerAuth, headerCred, replyHmac } from './session-auth.js';
import type { Exchange, LabReply, ServerContext, SessionState, Tag } from './types.js';

export function newExchange(encoding: Encoding): Exchange {
  return { encoding, msgId: 0, maxMsgSize: 0, outbox: [], lastCommands: [], sent: new Map(), answered: new Map() };
}

/** Queues a command for the next replies, with what it is. */
export function queue(st: SessionState, cmd: Command, tag: Tag): void {
  st.out.outbox.push({ cmd, tag });
}

/**
 * Builds the server message: the header (with the server's credential while the device has not accepted
 * it), the Statuses, then as many queued commands as fit the device's MaxMsgSize; the rest wait for the
 * device's Alert 1222 and the message goes without Final. `final` forces the Final decision (and sends no
 * queued command).
 */
export function reply(ctx: ServerContext, st: SessionState, statuses: Command[], final: boolean | undefined): LabReply {
  const out = st.out;
  const hdr: SyncHdr = {
    verDTD: '1.2',
    verProto: 'DM/1.2',
    sessionId: st.sessionId,
    msgId: String(++out.msgId),
    target: { locURI: st.device.devId },
    source: { locURI: ctx.serverUri },
  };
  if (out.msgId === 1) hdr.meta = { maxMsgSize: ctx.maxMsgSize };
  const cred = headerCred(ctx, st);
  if (cred) hdr.cred = cred;
  const aborting = ctx.strict && st.strictAbort === 'due' && final !== false;
  if (aborting) {
    // Strict mode: a rule the device broke in this session ends it here, after the Statuses, with Alert 1223.
    st.strictAbort = 'sent';
    ctx.log('warn', `device ${st.device.devId}: strict mode: session ${st.sessionId} aborted (Alert 1223) after a deviation`);
    statuses = [...statuses, alertCmd(AlertCode.SessionAbort)];
    final = true;
  }
  const queued = final === undefined ? out.outbox : [];
  const limit = out.maxMsgSize;
  // The device's own fitting (agent/syncml/fit.ts), measured with this server's encoder. A command that does
  // not fit even alone goes anyway when only header Statuses go with it: waiting could not make room.
  const onlyHeaderStatus = statuses.every((c) => c.kind === 'Status' && (c.cmdRef === '0' || c.cmd === 'Alert'));
  const fitted = fitMessage({
    hdr,
    head: statuses,
    queued: queued.map((q) => q.cmd),
    tail: [],
    limit,
    moreToCome: final === false,
    atLeastOne: onlyHeaderStatus,
    encoding: out.encoding,
    encode: (m) => encodeServerMessage(m, out.encoding),
  });
  const take = fitted.take;
  const bytes = fitted.bytes;
  const msg: SyncMLMessage = { hdr, body: fitted.body, final: fitted.final };
  if (limit > 0 && bytes.length > limit) {
    ctx.log(
      'warn',
      `device ${st.device.devId}: message of ${bytes.length} bytes exceeds its MaxMsgSize ${limit} (one command cannot be split); sending anyway`,
    );
  }
  if (take < queued.length && final === undefined) {
    ctx.log('info', `device ${st.device.devId}: ${queued.length - take} command(s) held back to respect MaxMsgSize ${limit}`);
  }
  const sentCommands = msg.body.slice(statuses.length);
  if (final === undefined) {
    out.outbox = queued.slice(take);
    if (sentCommands.length > 0) out.lastCommands = queued.slice(0, take);
  }
  for (let i = 0; i < sentCommands.length; i++) {
    const c = sentCommands[i]!;
    const tag = queued[i]!.tag;
    out.sent.set(`${hdr.msgId}:${c.cmdId}`, tag);
    if (c.kind === 'Get') out.sent.set(`${hdr.msgId}:${c.cmdId}#results`, tag);
  }
  // An Alert 1222 sent with the Statuses is a command too: the device answers it with a Status (every
  // command gets one, DM RepPro), which must not read as a Status for something this server never sent.
  for (const c of msg.body.slice(0, statuses.length)) {
    if (c.kind === 'Alert' && c.data === AlertCode.NextMessage) out.sent.set(`${hdr.msgId}:${c.cmdId}`, { what: 'other' });
  }
  // Final with no command ends the session: the device sends nothing more, unless it was challenged or
  // still has to challenge this server.
  const hdrCode = statuses[0]?.kind === 'Status' ? statuses[0].data : '200';
  st.ended = msg.final && sentCommands.length === 0 && hdrCode !== '401' && hdrCode !== '407' && !awaitingServerAuth(st);
  if (aborting) {
    st.ended = true;
    st.phase = 'done';
  }
  const r: LabReply = { body: bytes, contentType: out.encoding === 'xml' ? MIME_XML : MIME_WBXML };
  const mac = replyHmac(ctx, st, bytes);
  if (mac) r.hmac = mac;
  return r;
}
