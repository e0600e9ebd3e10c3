// WBXML 1.x reader for SyncML 1.2 (WAP-192-WBXML): code pages 0 (SyncML) and 1 (MetInf), inline strings,
// string table references (bounds checked), OPAQUE data kept as bytes. Every refusal says where.
import type { El } from './element.js';
import { NS_METINF } from './element.js';
import type { SyncMLMessage } from './model.js';
import { elementToMessage } from './map.js';
import { DmError } from '../errors.js';
import { utf8Decode } from '../util/bytes.js';
import { isXmlChar } from '../util/scan.js';
import {
  CHARSET_UTF8,
  END,
  ENTITY,
  FPI_SYNCML_11,
  FPI_SYNCML_12,
  LITERAL,
  OPAQUE,
  PUBLIC_ID_SYNCML_11,
  PUBLIC_ID_SYNCML_12,
  STR_I,
  STR_T,
  SWITCH_PAGE,
  TAGS,
} from './wbxml-tokens.js';
import type { XmlLimits } from './xml-decode.js';
import { DEFAULT_XML_LIMITS } from './xml-decode.js';

export function decodeWbxmlMessage(bytes: Uint8Array, limits?: Partial<XmlLimits>): SyncMLMessage {
  return elementToMessage(decodeWbxml(bytes, limits));
}

export function decodeWbxml(bytes: Uint8Array, limits?: Partial<XmlLimits>): El {
  const lim = { ...DEFAULT_XML_LIMITS, ...limits };
  if (bytes.length > lim.maxBytes) {
    throw new DmError('DM_ERR_TOO_LARGE', 413, `message of ${bytes.length} bytes exceeds the limit of ${lim.maxBytes}`);
  }
  return new WbxmlReader(bytes, lim).document();
}

class WbxmlReader {
  private i = 0;
  private page = 0;
  private elements = 0;
  private strtbl: Uint8Array = new Uint8Array(0);

  declare private readonly b: Uint8Array;
  declare private readonly lim: XmlLimits;

  constructor(b: Uint8Array, lim: XmlLimits) {
    this.b = b;
    this.lim = lim;
  }

  private fail(what: string, status = 400, code: 'DM_ERR_BAD_WBXML' | 'DM_ERR_WBXML_VERSION' = 'DM_ERR_BAD_WBXML'): never {
    throw new DmError(code, status, `WBXML ${what} at offset ${this.i}`);
  }

  private byte(): number {
    if (this.i >= this.b.length) this.fail('truncated');
    return this.b[this.i++]!;
  }

  private mbu32(): number {
    let v = 0;
    for (let n = 0; n < 5; n++) {
      const c = this.byte();
      v = v * 128 + (c & 0x7f);
      if ((c & 0x80) === 0) return v;
    }
    this.fail('multi-byte integer longer than 5 bytes');
  }

  document(): El {
    const version = this.byte();
    if (version > 0x03) this.fail(`version 0x${version.toString(16)} (1.0 to 1.3 accepted)`, 415, 'DM_ERR_WBXML_VERSION');
    let publicId = this.mbu32();
    let fpiIndex = -1;
    if (publicId === 0) fpiIndex = this.mbu32();
    const charset = this.mbu32();
    if (charset !== CHARSET_UTF8) this.fail(`charset ${charset} (only UTF-8, 106, is accepted)`, 415, 'DM_ERR_WBXML_VERSION');
    const len = this.mbu32();
    if (this.i + len > this.b.length) this.fail(`string table of ${len} bytes runs past the end`);
    this.strtbl = this.b.subarray(this.i, this.i + len);
    this.i += len;
    if (fpiIndex >= 0) {
      const fpi = this.tableString(fpiIndex);
      if (fpi === FPI_SYNCML_12) publicId = PUBLIC_ID_SYNCML_12;
      else if (fpi === FPI_SYNCML_11) publicId = PUBLIC_ID_SYNCML_11;
    }
    if (publicId !== PUBLIC_ID_SYNCML_12 && publicId !== PUBLIC_ID_SYNCML_11) {
      this.fail(
        `public identifier 0x${publicId.toString(16)} (accepted: 0x1201 SyncML 1.2, 0xfd3 SyncML 1.1, or their FPI in the string table)`,
        415,
        'DM_ERR_WBXML_VERSION',
      );
    }
    while (this.b[this.i] === SWITCH_PAGE) {
      this.i++;
      this.page = this.byte();
    }
    const root = this.element();
    if (this.i !== this.b.length) this.fail('data after the root element');
    return root;
  }

  private tableString(offset: number): string {
    if (offset >= this.strtbl.length) this.fail(`string table reference ${offset} out of bounds (table has ${this.strtbl.length} bytes)`);
    let end = offset;
    while (end < this.strtbl.length && this.strtbl[end] !== 0) end++;
    if (end >= this.strtbl.length) this.fail(`string table entry at ${offset} is not terminated`);
    return utf8Decode(this.strtbl, offset, end);
  }

  private inline(): string {
    const start = this.i;
    while (this.i < this.b.length && this.b[this.i] !== 0) this.i++;
    if (this.i >= this.b.length) this.fail('unterminated inline string');
    const s = utf8Decode(this.b, start, this.i);
    this.i++;
    return s;
  }

  /** One tag token at nesting `depth`: the element, and whether content follows (its END to come). */
  private tag(depth: number): { el: El; open: boolean } {
    if (depth > this.lim.maxDepth)
      throw new DmError('DM_ERR_XML_LIMIT', 413, `WBXML nesting deeper than ${this.lim.maxDepth} at offset ${this.i}`);
    if (++this.elements > this.lim.maxElements)
      throw new DmError('DM_ERR_XML_LIMIT', 413, `more than ${this.lim.maxElements} WBXML elements`);
    const tok = this.byte();
    if ((tok & 0x3f) === LITERAL) this.fail('literal tags are not used by SyncML');
    if (tok & 0x80) this.fail('attributes are not used by SyncML');
    const name = TAGS[this.page]?.[(tok & 0x3f) - 5];
    if (!name) this.fail(`unknown tag token 0x${tok.toString(16)} on code page ${this.page}`);
    const el: El = { name, children: [] };
    if (this.page === 1) el.ns = NS_METINF;
    return { el, open: (tok & 0x40) !== 0 };
  }

  /**
   * The root element and everything in it. The open elements are kept in an array, not on the call stack:
   * XS gives a device a stack of a few hundred slots, which a recursive reader would overflow (an abort, not
   * an exception) on a message nested to the depth limit.
   */
  private element(): El {
    const first = this.tag(1);
    if (!first.open) return first.el;
    const open: { el: El; text: string }[] = [{ el: first.el, text: '' }];
    for (;;) {
      const top = open[open.length - 1]!;
      const el = top.el;
      if (this.i >= this.b.length) this.fail(`unterminated <${el.name}>`);
      const t = this.b[this.i]!;
      if (t === END) {
        this.i++;
        if (top.text) el.children.push(top.text);
        open.pop();
        if (open.length === 0) return el;
        continue;
      }
      if (t === SWITCH_PAGE) {
        this.i++;
        const p = this.byte();
        if (p !== 0 && p !== 1) this.fail(`unknown code page ${p}`);
        this.page = p;
        continue;
      }
      if (t === STR_I) {
        this.i++;
        top.text += this.inline();
        continue;
      }
      if (t === STR_T) {
        this.i++;
        top.text += this.tableString(this.mbu32());
        continue;
      }
      if (t === ENTITY) {
        this.i++;
        const cp = this.mbu32();
        // WBXML encodes an XML document: an entity names a character XML allows, as a character reference does.
        if (!isXmlChar(cp)) this.fail(`entity ${cp} is not a character XML allows`);
        top.text += String.fromCodePoint(cp);
        continue;
      }
      if (t === OPAQUE) {
        this.i++;
        const n = this.mbu32();
        if (this.i + n > this.b.length) this.fail(`opaque data of ${n} bytes runs past the end`);
        if (top.text) {
          el.children.push(top.text);
          top.text = '';
        }
        el.children.push(this.b.slice(this.i, this.i + n));
        this.i += n;
        continue;
      }
      if (
        (t & 0x3f) < 5 ||
        t === 0x40 ||
        t === 0x41 ||
        t === 0x42 ||
        t === 0x43 ||
        t === 0x44 ||
        (t >= 0x80 && t <= 0x84) ||
        (t >= 0xc0 && t <= 0xc4)
      ) {
        this.fail(`token 0x${t.toString(16)} is not supported in SyncML`);
      }
      if (top.text) {
        el.children.push(top.text);
        top.text = '';
      }
      const child = this.tag(open.length + 1);
      el.children.push(child.el);
      if (child.open) open.push({ el: child.el, text: '' });
    }
  }
}
