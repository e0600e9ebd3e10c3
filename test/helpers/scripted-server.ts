// An in-process scripted DM server for session tests: each step receives the decoded client message and
// returns the server's reply (a model, encoded in the client's encoding, or raw bytes to inject garbage).
import type { InboundMessage, OutboundMessage } from '../../agent/ports.js';
import type { Command, StatusCmd, SyncMLMessage } from '../../agent/syncml/model.js';
import { decodeMessage, encodeMessage, sniffEncoding } from '../../agent/syncml/codec.js';

export type Step = (client: SyncMLMessage, out: OutboundMessage) => SyncMLMessage | Uint8Array | InboundMessage;

/** Every message a session under test put on the wire, in order (for DTD validation of all of them). */
export const emitted: Uint8Array[] = [];

export interface Exchange {
  out: OutboundMessage;
  client: SyncMLMessage;
  reply?: SyncMLMessage;
}

/** Drives a sans-I/O session against the steps; returns every exchange. Fails if the session outruns the script. */
export async function runScript(
  session: { nextMessage(): OutboundMessage | undefined; receive(m: InboundMessage): Promise<void> },
  steps: Step[],
): Promise<Exchange[]> {
  const log: Exchange[] = [];
  let i = 0;
  for (let out = session.nextMessage(); out; out = session.nextMessage()) {
    emitted.push(out.body);
    const client = decodeMessage(out.body);
    const step = steps[i++];
    if (!step) throw new Error(`client sent message ${client.hdr.msgId} but the script has no step ${i}`);
    const r = step(client, out);
    const ex: Exchange = { out, client };
    log.push(ex);
    if (r instanceof Uint8Array) await session.receive({ body: r });
    else if ('hdr' in r) {
      ex.reply = r;
      await session.receive({ body: encodeMessage(r, sniffEncoding(out.body)) });
    } else await session.receive(r);
  }
  return log;
}

let serverMsgId = 0;

/** A server message answering `client`: SyncHdr mirrored, a SyncHdr Status with `hdrCode`, then `body`. */
export function reply(
  client: SyncMLMessage,
  hdrCode: number,
  body: Command[],
  final = true,
  extra: Partial<StatusCmd> = {},
): SyncMLMessage {
  const hdrStatus: StatusCmd = {
    kind: 'Status',
    cmdId: '1',
    msgRef: client.hdr.msgId,
    cmdRef: '0',
    cmd: 'SyncHdr',
    targetRefs: [client.hdr.target.locURI],
    sourceRefs: [client.hdr.source.locURI],
    items: [],
    data: String(hdrCode),
    ...extra,
  };
  let n = 1;
  const numbered = body.map((c) => ({ ...c, cmdId: String(++n) })) as Command[];
  return {
    hdr: {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: client.hdr.sessionId,
      msgId: String(++serverMsgId),
      target: { locURI: client.hdr.source.locURI },
      source: { locURI: client.hdr.target.locURI },
    },
    body: [hdrStatus, ...numbered],
    final,
  };
}

/** Status 200 for every command of the client message but the SyncHdr (what a server sends back first). */
export function statusesFor(client: SyncMLMessage, code = 200): StatusCmd[] {
  return client.body
    .filter((c) => c.kind !== 'Status' && c.kind !== 'Results')
    .map((c) => ({
      kind: 'Status',
      cmdId: '0',
      msgRef: client.hdr.msgId,
      cmdRef: c.cmdId,
      cmd: c.kind === 'Unsupported' ? c.name : c.kind,
      targetRefs: [],
      sourceRefs: [],
      items: [],
      data: String(code),
    }));
}

/** The Status the client sent for server command `cmdRef` (first match), or undefined. */
export function statusFor(client: SyncMLMessage, cmdRef: string): StatusCmd[] {
  return client.body.filter((c): c is StatusCmd => c.kind === 'Status' && c.cmdRef === cmdRef);
}
