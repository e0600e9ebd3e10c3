// `dm-agent encode --wbxml FILE` and `dm-agent decode FILE`: the agent's own codec on files.
import { readFileSync } from 'node:fs';
import { decodeXml } from '../../agent/syncml/xml-decode.js';
import { encodeWbxmlMessage } from '../../agent/syncml/wbxml-encode.js';
import { formatMessage } from '../../agent/syncml/codec.js';
import { parseArgs, UsageError } from '../args.js';

export function encodeCommand(argv: string[], out: NodeJS.WritableStream): number {
  const args = parseArgs(argv, { values: [], booleans: ['wbxml', 'no-string-table'] });
  if (!args.flags.has('wbxml')) throw new UsageError('encode: only --wbxml output is supported (XML in, WBXML out)');
  const file = args.positionals[0];
  if (!file) throw new UsageError('encode: give the XML file to encode');
  const msg = decodeXml(new Uint8Array(readFileSync(file)));
  out.write(encodeWbxmlMessage(msg, { stringTable: !args.flags.has('no-string-table') }));
  return 0;
}

export function decodeCommand(argv: string[], out: NodeJS.WritableStream): number {
  const args = parseArgs(argv, { values: [], booleans: [] });
  const file = args.positionals[0];
  if (!file) throw new UsageError('decode: give the WBXML or XML file to decode');
  const text = formatMessage(new Uint8Array(readFileSync(file)));
  out.write(text.endsWith('\n') ? text : text + '\n');
  return 0;
}
