// One entry point for both encodings: the session and the bindings call these, never the encoders directly.
import type { SyncMLMessage } from './model.js';
import { decodeXml } from './xml-decode.js';
import { encodeXml } from './xml-encode.js';
import { decodeWbxmlMessage } from './wbxml-decode.js';
import { encodeWbxmlMessage } from './wbxml-encode.js';
import { DmError } from '../errors.js';
import { utf8Decode } from '../util/bytes.js';
import type { Utf8 } from '../ports.js';

export type Encoding = 'xml' | 'wbxml';

/** XML starts with '<' (or a UTF-8 BOM / white space before it); WBXML with its version byte (0x01..0x03). */
export function sniffEncoding(bytes: Uint8Array): Encoding {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x3c) return 'xml';
  if (bytes.length > 0 && bytes[0]! <= 0x03) return 'wbxml';
  throw new DmError(
    'DM_ERR_BAD_SYNCML',
    415,
    `message is neither XML nor WBXML (first byte 0x${bytes.length ? bytes[0]!.toString(16) : 'none'})`,
  );
}

/** `utf8`: the platform's native converter for XML text, if it has one. */
export function decodeMessage(bytes: Uint8Array, utf8?: Utf8): SyncMLMessage {
  if (bytes.length === 0) throw new DmError('DM_ERR_BAD_SYNCML', 400, 'empty message');
  return sniffEncoding(bytes) === 'xml' ? decodeXml(bytes, undefined, utf8) : decodeWbxmlMessage(bytes);
}

export function encodeMessage(msg: SyncMLMessage, encoding: Encoding, utf8?: Utf8): Uint8Array {
  return encoding === 'xml' ? encodeXml(msg, utf8 ? { utf8 } : {}) : encodeWbxmlMessage(msg, { stringTable: true });
}

/** Indented XML of any message in either encoding, for traces and the CLI. */
export function formatMessage(bytes: Uint8Array): string {
  return utf8Decode(encodeXml(decodeMessage(bytes), { indent: true }));
}
