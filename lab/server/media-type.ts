// The Content-Type of a device message, read liberally: DM 1.2 names two media types (DM RepPro 1.2, the
// SyncML element: "MUST be identified as application/vnd.syncml.dm+xml … or application/vnd.syncml.dm+wbxml"),
// but clients built from SyncML DS code, libdmclient among them, send DS's application/vnd.syncml+xml and
// +wbxml. Their intent is clear, so the lab server takes them as DM and flags the deviation, unless the
// operator asked for strict mode (then 415, as for any other type).
import { MIME_WBXML, MIME_XML } from '../../agent/syncml/model.js';
import type { Encoding } from '../../agent/syncml/codec.js';

export const MIME_DS_XML = 'application/vnd.syncml+xml';
export const MIME_DS_WBXML = 'application/vnd.syncml+wbxml';

/** The rule a DS media type breaks, as the deviation names it. */
export const MEDIA_TYPE_RULE = `DM RepPro 1.2 (SyncML element, MIME content types): a DM message is ${MIME_XML} or ${MIME_WBXML}`;

export type MediaType =
  /** No Content-Type (MQTT, or an HTTP client that sent none): the body decides. */
  | { kind: 'none' }
  /** One of the two DM media types, or a DS one (`ds`: a deviation), announcing this encoding. */
  | { kind: 'syncml'; type: string; encoding: Encoding; ds: boolean }
  | { kind: 'other'; type: string };

/** The media type of a Content-Type header value (parameters such as charset are ignored). */
export function mediaType(contentType: string | undefined): MediaType {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === undefined || type === '') return { kind: 'none' };
  if (type === MIME_XML || type === MIME_DS_XML) return { kind: 'syncml', type, encoding: 'xml', ds: type === MIME_DS_XML };
  if (type === MIME_WBXML || type === MIME_DS_WBXML) return { kind: 'syncml', type, encoding: 'wbxml', ds: type === MIME_DS_WBXML };
  return { kind: 'other', type };
}
