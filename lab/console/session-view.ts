// One session as the console shows it: each message decoded (XML or WBXML) to indented XML with its secrets
// masked, its commands each beside the Status the other side answered it with, the UI alerts with the
// answers given, and the deviations at the message they were found in. Also the two exports: the messages
// as a capture file (`dm-agent decode` reads it back) and as indented XML.
import { decodeMessage, encodeMessage, sniffEncoding } from '../../agent/syncml/codec.js';
import { encodeXml } from '../../agent/syncml/xml-encode.js';
import type { Command, SyncMLMessage } from '../../agent/syncml/model.js';
import { utf8Decode } from '../../agent/util/bytes.js';
import { nodeUtf8 } from '../../platform/node/utf8.js';
import { captureHeader, captureLine } from './capture.js';
import { maskSecrets } from './mask.js';
import type { MessageEntry, SessionEntry } from './session-log.js';
import { withDefined } from '../../agent/util/options.js';
import type { CommandView, MessageView, SessionView, UiView } from './views.js';

export type { CommandView, MessageView, SessionView, UiView } from './views.js';

interface Decoded {
  entry: MessageEntry;
  msg?: SyncMLMessage;
  masked: boolean;
}

function decodeEntry(entry: MessageEntry): Decoded {
  if (entry.lost || !/syncml/i.test(entry.contentType)) return { entry, masked: false };
  try {
    const msg = decodeMessage(entry.bytes, nodeUtf8);
    const masked = maskSecrets(msg);
    return { entry, msg, masked };
  } catch {
    return { entry, masked: false };
  }
}

function flat(cs: Command[], out: Command[] = []): Command[] {
  for (const c of cs) {
    out.push(c);
    if (c.kind === 'Atomic' || c.kind === 'Sequence') flat(c.commands, out);
  }
  return out;
}

function text(d: string | Uint8Array | undefined): string {
  if (d === undefined) return '';
  return typeof d === 'string' ? d : utf8Decode(d);
}

function detailOf(c: Command): string {
  if (c.kind === 'Alert') return c.data ?? '';
  if (c.kind === 'Status') return `${c.cmd} ${c.msgRef}:${c.cmdRef} → ${c.data}`;
  if (c.kind === 'Results') return `for ${c.msgRef ?? ''}:${c.cmdRef}`;
  if (!('items' in c)) return '';
  return c.items
    .map((i) => i.target?.locURI ?? i.source?.locURI ?? '')
    .filter(Boolean)
    .slice(0, 4)
    .join(' ');
}

function bodyText(entry: MessageEntry, d: Decoded): string {
  if (entry.lost) return '(no reply: the connection was dropped)';
  if (d.msg) return utf8Decode(encodeXml(d.msg, { indent: true }));
  if (/syncml/i.test(entry.contentType)) return `(undecodable ${entry.bytes.length} bytes: ${entry.summary})`;
  return utf8Decode(entry.bytes);
}

export function sessionView(s: SessionEntry): SessionView {
  const decoded = s.messages.map(decodeEntry);
  // Status and Results by "MsgRef:CmdRef", per side that sent them.
  const answers = new Map<string, { status: string; at: number }>();
  decoded.forEach((d, i) => {
    for (const c of flat(d.msg?.body ?? [])) {
      if (c.kind !== 'Status' || c.cmdRef === '0') continue;
      const k = `${d.entry.dir}:${c.msgRef}:${c.cmdRef}`;
      if (!answers.has(k)) answers.set(k, { status: c.data, at: i });
    }
  });
  const ui: UiView[] = [];
  const messages = decoded.map((d, i): MessageView => {
    const other = d.entry.dir === 'device' ? 'server' : 'device';
    const msgId = d.msg?.hdr.msgId;
    const commands: CommandView[] = [];
    for (const c of flat(d.msg?.body ?? [])) {
      const v: CommandView = { cmdId: c.cmdId, kind: c.kind === 'Unsupported' ? c.name : c.kind, detail: detailOf(c) };
      if (c.kind !== 'Status' && c.kind !== 'Results') {
        const a = answers.get(`${other}:${msgId}:${c.cmdId}`);
        if (a) {
          v.status = a.status;
          v.statusIn = a.at;
        }
      }
      commands.push(v);
      if (c.kind === 'Alert' && d.entry.dir === 'server' && /^110[0-4]$/.test(c.data ?? '')) {
        const u: UiView = {
          alert: c.data!,
          options: text(c.items[0]?.data),
          text: text(c.items[1]?.data),
          choices: c.items.slice(2).map((x) => text(x.data)),
          answer: [],
        };
        const a = answers.get(`device:${msgId}:${c.cmdId}`);
        if (a) {
          u.status = a.status;
          const st = flat(decoded[a.at]!.msg?.body ?? []).find((x) => x.kind === 'Status' && x.msgRef === msgId && x.cmdRef === c.cmdId);
          if (st && st.kind === 'Status') u.answer = st.items.map((x) => text(x.data));
        }
        ui.push(u);
      }
    }
    let encoding: string | undefined;
    try {
      if (d.msg) encoding = sniffEncoding(d.entry.bytes);
    } catch {
      /* not SyncML */
    }
    const m: MessageView = {
      index: i,
      dir: d.entry.dir,
      at: new Date(d.entry.at).toISOString(),
      contentType: d.entry.contentType,
      size: d.entry.bytes.length,
      summary: d.entry.summary,
      xml: bodyText(d.entry, d),
      commands,
      deviations: s.deviations.filter((x) => x.message === i).map((x) => ({ text: x.text, rule: x.rule })),
    };
    if (msgId !== undefined) m.msgId = msgId;
    if (encoding) m.encoding = encoding;
    if (d.entry.httpStatus !== undefined) m.httpStatus = d.entry.httpStatus;
    if (d.entry.lost) m.lost = true;
    if (d.entry.retransmission) m.retransmission = true;
    if (d.entry.truncated) m.truncated = true;
    return m;
  });
  return {
    id: s.id,
    devId: s.devId,
    sessionId: s.sessionId,
    status: s.status,
    transport: s.transport,
    encoding: s.encoding,
    startedAt: new Date(s.startedAt).toISOString(),
    lastAt: new Date(s.lastAt).toISOString(),
    messages,
    ui,
    deviations: s.deviations,
    reason: s.reason ?? null,
  };
}

/**
 * The session as a capture file. A message with a secret (a basic credential, a DMAcc secret) is re-encoded,
 * in its own encoding, with the secret masked, and says so (`masked`); the others are the bytes as they went.
 */
export function sessionCapture(s: SessionEntry): string {
  let out = captureHeader(new Date(s.startedAt));
  for (const entry of s.messages) {
    const d = decodeEntry(entry);
    let bytes = entry.bytes;
    if (d.masked && d.msg) bytes = encodeMessage(d.msg, sniffEncoding(entry.bytes), nodeUtf8);
    // The optional entries come last, in this order, as the capture's readers see them.
    out += captureLine(
      withDefined(
        {
          at: new Date(entry.at).toISOString(),
          session: s.id,
          devId: s.devId,
          sessionId: s.sessionId,
          dir: entry.dir,
          contentType: entry.contentType,
          bytes,
        },
        {
          httpStatus: entry.httpStatus,
          lost: entry.lost ? true : undefined,
          retransmission: entry.retransmission ? true : undefined,
          masked: d.masked ? true : undefined,
        },
      ),
    );
  }
  return out;
}

/** The session as one indented XML text, each message headed by a comment saying who sent it when. */
export function sessionXml(s: SessionEntry): string {
  const v = sessionView(s);
  const parts = [
    `<!-- session ${v.id}: device ${v.devId}, SessionID ${v.sessionId}, ${v.transport}, ${v.encoding}, ${v.status}${v.reason ? `: ${v.reason.replace(/--/g, '- -')}` : ''} -->`,
  ];
  for (const m of v.messages) {
    parts.push(
      `<!-- message ${m.index + 1}: ${m.dir === 'device' ? 'device → server' : 'server → device'} at ${m.at}${m.msgId ? `, MsgID ${m.msgId}` : ''}${m.httpStatus && m.httpStatus !== 200 ? `, HTTP ${m.httpStatus}` : ''} -->`,
    );
    for (const d of m.deviations) parts.push(`<!-- deviation: ${d.text.replace(/--/g, '- -')} [${d.rule}] -->`);
    parts.push(m.xml.trimEnd());
  }
  return `${parts.join('\n')}\n`;
}
