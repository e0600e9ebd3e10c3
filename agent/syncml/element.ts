// The neutral element tree both encodings meet in. XML text <-> El (xml-*.ts), WBXML bytes <-> El
// (wbxml-*.ts), and El <-> SyncMLMessage once, in map.ts, so the SyncML structure rules live in one place.

/** Namespace of the MetInf elements (XML: xmlns="syncml:metinf"; WBXML: code page 1). */
export const NS_METINF = 'syncml:metinf';

export interface El {
  name: string;
  /** Set only for elements outside the SyncML namespace (the MetInf ones). */
  ns?: string;
  /** Text (string), opaque bytes (WBXML OPAQUE) and child elements, in document order. */
  children: ElChild[];
}

export type ElChild = El | string | Uint8Array;
