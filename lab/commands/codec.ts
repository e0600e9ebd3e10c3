// `dm-agent encode` and `dm-agent decode`: the agent's own codec on files.
import { readFileSync } from 'node:fs';
import { decodeXml } from '../../agent/syncml/xml-decode.js';
import { encodeWbxmlMessage } from '../../agent/syncml/wbxml-encode.js';
import { formatMessage } from '../../agent/syncml/codec.js';
import { defineVerb, parse, UsageError, type Verb } from '../args.js';

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
  summary: 'WBXML or XML in, indented XML out',
  args: [{ name: 'FILE', description: 'the SyncML message to decode, WBXML or XML' }],
  options: {},
});

export function decodeCommand(argv: string[], out: NodeJS.WritableStream): number {
  const {
    args: [file],
  } = parse(decodeSpec, argv);
  const text = formatMessage(new Uint8Array(readFileSync(file!)));
  out.write(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}

export const encodeVerb: Verb = { spec: encodeSpec, run: encodeCommand };
export const decodeVerb: Verb = { spec: decodeSpec, run: decodeCommand };
