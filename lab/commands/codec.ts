// `dm-agent encode` and `dm-agent decode`: the agent's own codec on files, and decode on a capture file
// (lab/console/capture.ts).
import { readFileSync } from 'node:fs';
import { decodeXml } from '../../agent/syncml/xml-decode.js';
import { encodeWbxmlMessage } from '../../agent/syncml/wbxml-encode.js';
import { formatMessage } from '../../agent/syncml/codec.js';
import { defineVerb, parse, UsageError, type Verb } from '../args.js';
import { errorMessage } from '../../agent/errors.js';
import { isCapture, parseCapture, type CaptureRecord } from '../console/capture.js';

export const encodeSpec = defineVerb({
  name: 'encode',
  summary: 'XML in, WBXML (SyncML 1.2, public id 0x1201) out on stdout',
  forms: ['--wbxml [--no-string-table] FILE'],
  args: [{ name: 'FILE', description: 'the SyncML XML message to encode' }],
  options: {
    wbxml: { type: 'boolean', description: 'WBXML output: the only one there is, and required' },
    'no-string-table': { type: 'boolean', description: 'inline strings only, no string table' },
  },
});

export function encodeCommand(argv: string[], out: NodeJS.WritableStream): number {
  const {
    options: o,
    args: [file],
  } = parse(encodeSpec, argv);
  if (!o.wbxml) throw new UsageError('only --wbxml output is supported (XML in, WBXML out)');
  const msg = decodeXml(new Uint8Array(readFileSync(file!)));
  out.write(encodeWbxmlMessage(msg, { stringTable: !o['no-string-table'] }));
  return 0;
}

export const decodeSpec = defineVerb({
  name: 'decode',
  summary: 'WBXML or XML in, indented XML out; or every message of a capture file',
  description: [
    'A capture file (serve --capture, or a session exported from the console) is decoded message by message, each ' +
      'headed by its session, device, direction and time; --session keeps one session.',
  ],
  args: [{ name: 'FILE', description: 'the SyncML message to decode, WBXML or XML, or a capture file' }],
  options: {
    session: { type: 'string', value: 'ID', description: "with a capture: only this session (the console's id, s1 …, or a SessionID)" },
  },
});

export function decodeCommand(argv: string[], out: NodeJS.WritableStream): number {
  const {
    options: o,
    args: [file],
  } = parse(decodeSpec, argv);
  const bytes = new Uint8Array(readFileSync(file!));
  const head = new TextDecoder().decode(bytes.subarray(0, 200));
  if (isCapture(head)) {
    out.write(decodeCapture(parseCapture(new TextDecoder().decode(bytes)), o.session));
    return 0;
  }
  if (o.session !== undefined) throw new UsageError('--session applies to a capture file only');
  const text = formatMessage(bytes);
  out.write(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}

/** The messages of a capture as text: a heading line each, then its indented XML (or its text, or why not). */
export function decodeCapture(records: CaptureRecord[], session?: string): string {
  const kept = session === undefined ? records : records.filter((r) => r.session === session || r.sessionId === session);
  if (session !== undefined && kept.length === 0) throw new UsageError(`no session '${session}' in the capture`);
  const parts: string[] = [];
  for (const r of kept) {
    const arrow = r.dir === 'device' ? 'device → server' : 'server → device';
    const flags = [
      r.httpStatus !== undefined && r.httpStatus !== 200 ? `HTTP ${r.httpStatus}` : '',
      r.lost ? 'lost' : '',
      r.retransmission ? 'retransmission' : '',
      r.masked ? 'secrets masked' : '',
    ]
      .filter(Boolean)
      .join(', ');
    parts.push(
      `=== ${r.session} ${r.devId} SessionID ${r.sessionId}: ${arrow} at ${r.at}, ${r.bytes.length} bytes${flags ? ` (${flags})` : ''}`,
    );
    if (r.lost) parts.push('(no reply: the connection was dropped)');
    else if (/syncml/i.test(r.contentType)) {
      try {
        parts.push(formatMessage(r.bytes).trimEnd());
      } catch (e) {
        parts.push(`(not decodable: ${errorMessage(e)})`);
      }
    } else parts.push(new TextDecoder().decode(r.bytes).trimEnd());
  }
  return `${parts.join('\n')}\n`;
}

export const encodeVerb: Verb = { spec: encodeSpec, run: encodeCommand };
export const decodeVerb: Verb = { spec: decodeSpec, run: decodeCommand };
