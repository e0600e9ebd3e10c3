// `dm-agent replay`: the device side of a capture played against a DM server over HTTP, message by message,
// as the device sent them (its bytes and Content-Type), each once the reply to the one before has come. What
// the server answers is compared with what the capture holds: the HTTP status, and the Status codes of the
// reply, so that a change of the server's behaviour on the same input shows. A server that authenticates
// with nonces (MD5, HMAC) answers a replayed credential 401: its nonce is not the captured one.
import { readFileSync } from 'node:fs';
import { decodeMessage } from '../../agent/syncml/codec.js';
import type { Command } from '../../agent/syncml/model.js';
import { errorMessage } from '../../agent/errors.js';
import { defineVerb, parse, UsageError, urlOf, type Verb } from '../args.js';
import { parseCapture, type CaptureRecord } from '../console/capture.js';

export const replaySpec = defineVerb({
  name: 'replay',
  summary: "plays a capture's device messages against a DM server and compares the replies",
  description: [
    'Each device message of the capture (serve --capture, or a session exported from the console) is POSTed to --server ' +
      'with its captured Content-Type, in order, one at a time; a retransmission in the capture is sent again too. For each ' +
      'one it prints the HTTP status and the Status codes of the reply, beside those the capture holds. Exit 0 when every ' +
      'reply matched, 1 when one differed or the server could not be reached.',
  ],
  args: [{ name: 'FILE', description: 'the capture file' }],
  options: {
    server: { type: 'string', value: 'URL', required: true, check: urlOf(['http', 'https']), description: 'the DM server URL (…/dm)' },
    session: { type: 'string', value: 'ID', description: "only this session (the capture's id, s1 …, or a SessionID)" },
  },
});

/** The Status codes of a reply, in order ("SyncHdr 212, Alert 200, …"), or what the body is when not SyncML. */
export function replyStatuses(bytes: Uint8Array, contentType: string): string {
  if (!/syncml/i.test(contentType)) return `${contentType.split(';')[0] || 'no body'}`;
  try {
    const flat: Command[] = [];
    const walk = (cs: Command[]) => {
      for (const c of cs) {
        flat.push(c);
        if (c.kind === 'Atomic' || c.kind === 'Sequence') walk(c.commands);
      }
    };
    walk(decodeMessage(bytes).body);
    const statuses = flat.filter((c) => c.kind === 'Status').map((c) => (c.kind === 'Status' ? `${c.cmd} ${c.data}` : ''));
    return statuses.join(', ') || 'no Status';
  } catch (e) {
    return `undecodable (${errorMessage(e)})`;
  }
}

export async function replayCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const {
    options: o,
    args: [file],
  } = parse(replaySpec, argv);
  const records = parseCapture(readFileSync(file!, 'utf8'));
  const kept = o.session === undefined ? records : records.filter((r) => r.session === o.session || r.sessionId === o.session);
  if (kept.length === 0)
    throw new UsageError(o.session === undefined ? 'the capture holds no message' : `no session '${o.session}' in the capture`);
  let differed = 0;
  let sent = 0;
  for (let i = 0; i < kept.length; i++) {
    const r = kept[i]!;
    if (r.dir !== 'device') continue;
    // The captured reply: the next server record of the same session.
    let captured: CaptureRecord | undefined;
    for (let j = i + 1; j < kept.length; j++) {
      if (kept[j]!.session !== r.session) continue;
      if (kept[j]!.dir === 'server') captured = kept[j];
      break;
    }
    let status: number;
    let now: string;
    try {
      const res = await fetch(o.server, { method: 'POST', headers: { 'Content-Type': r.contentType }, body: r.bytes });
      status = res.status;
      now = replyStatuses(new Uint8Array(await res.arrayBuffer()), res.headers.get('content-type') ?? '');
    } catch (e) {
      out.write(`${r.session} message ${++sent}: ${o.server} cannot be reached: ${errorMessage(e)}\n`);
      return 1;
    }
    const then = captured
      ? captured.lost
        ? 'lost'
        : `HTTP ${captured.httpStatus ?? 200}: ${replyStatuses(captured.bytes, captured.contentType)}`
      : 'none captured';
    const same = captured !== undefined && !captured.lost && `HTTP ${status}: ${now}` === then;
    if (!same) differed++;
    out.write(`${r.session} ${r.devId} message ${++sent}: HTTP ${status}: ${now}${same ? ' (as captured)' : `\n    captured: ${then}`}\n`);
  }
  out.write(
    `${sent} message(s) replayed to ${o.server}; ${differed === 0 ? 'every reply as captured' : `${differed} reply(ies) differ from the capture`}\n`,
  );
  return differed === 0 ? 0 : 1;
}

export const replayVerb: Verb = { spec: replaySpec, run: replayCommand };
