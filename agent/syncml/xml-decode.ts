// A small XML reader for SyncML: only what SyncML needs. No DTD processing, no entity beyond the five
// predefined ones and numeric character references, CDATA supported, hard limits on size, depth and element
// count (a microcontroller heap aborts rather than throws, so the limits are what keeps the device alive).
import type { El, ElChild } from './element.js';
import { NS_METINF } from './element.js';
import type { SyncMLMessage } from './model.js';
import { elementToMessage } from './map.js';
import { DmError } from '../errors.js';
import { decodeUtf8With } from '../util/bytes.js';
import type { Utf8 } from '../ports.js';
import { isDigits, isHexDigits, isXmlChar } from '../util/scan.js';

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxBytes: 65536, maxDepth: 32, maxElements: 8192 };

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/**
 * Characters XML 1.0 does not allow in a document, raw or referenced: C0 controls other than tab, LF and CR,
 * and U+FFFE/U+FFFF. Taken in, a NUL could never be written again in WBXML (it ends a string there).
 */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
/** NOT_XML_CHAR or a CR: one scan of the document finds whether it needs either (seldom) looked at. */
const CR_OR_NOT_XML_CHAR = /[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF]/;

export function decodeXml(bytes: Uint8Array, limits?: Partial<XmlLimits>, utf8?: Utf8): SyncMLMessage {
  const max = limits?.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  if (bytes.length > max) throw new DmError('DM_ERR_TOO_LARGE', 413, `message of ${bytes.length} bytes exceeds the limit of ${max}`);
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return elementToMessage(parseXmlElement(decodeUtf8With(utf8, bytes, start), limits));
}

export function parseXmlElement(src: string, limits?: Partial<XmlLimits>): El {
  const lim = { ...DEFAULT_XML_LIMITS, ...limits };
  if (!CR_OR_NOT_XML_CHAR.test(src)) return new Reader(src, lim).document();
  // Line breaks read as LF whatever the sender wrote (XML 1.0 §2.11); a CR stays only as a reference, &#13;.
  if (src.indexOf('\r') >= 0) src = src.replace(/\r\n?/g, '\n');
  const reader = new Reader(src, lim);
  reader.refuseNotXmlChar();
  return reader.document();
}

class Reader {
  private i = 0;
  private elements = 0;
  /** The qualified name of the start tag startTag read last, and whether it was empty. */
  private tagName = '';
  private tagEmpty = false;
  /** The document holds a ']]>' somewhere: text must then be looked at for one (most documents have none). */
  declare private readonly cdataEnds: boolean;
  declare private readonly s: string;
  declare private readonly lim: XmlLimits;

  constructor(s: string, lim: XmlLimits) {
    this.s = s;
    this.lim = lim;
    if (s.length > lim.maxBytes)
      throw new DmError('DM_ERR_TOO_LARGE', 413, `document of ${s.length} characters exceeds the limit of ${lim.maxBytes}`);
    this.cdataEnds = s.indexOf(']]>') >= 0;
  }

  private fail(what: string, code: 'DM_ERR_BAD_XML' | 'DM_ERR_XML_FORBIDDEN' = 'DM_ERR_BAD_XML'): never {
    let line = 1;
    let col = 1;
    for (let k = 0; k < this.i && k < this.s.length; k++) {
      if (this.s.charCodeAt(k) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    throw new DmError(code, 400, `XML ${what} at ${line}:${col} (offset ${this.i})`);
  }

  private skipSpace(): void {
    const s = this.s;
    let i = this.i;
    for (let c = s.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = s.charCodeAt(++i));
    this.i = i;
  }

  refuseNotXmlChar(): void {
    const bad = this.s.search(NOT_XML_CHAR);
    if (bad < 0) return;
    this.i = bad;
    this.fail(`character U+${this.s.charCodeAt(bad).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`);
  }

  document(): El {
    const s = this.s;
    let root: El | undefined;
    for (;;) {
      this.skipSpace();
      if (this.i >= s.length) break;
      if (s.charCodeAt(this.i) !== 60) this.fail(root ? 'text after the root element' : 'text before the root element');
      if (s.startsWith('<?', this.i)) {
        const end = s.indexOf('?>', this.i);
        if (end < 0) this.fail('unterminated processing instruction');
        if (!/^<\?xml[\s?]/.test(s.slice(this.i, this.i + 6)) || this.i !== 0) {
          this.fail('processing instructions other than the XML declaration are refused', 'DM_ERR_XML_FORBIDDEN');
        }
        this.i = end + 2;
      } else if (s.startsWith('<!--', this.i)) {
        this.comment();
      } else if (s.startsWith('<!DOCTYPE', this.i)) {
        if (root) this.fail('DOCTYPE after the root element');
        this.doctype();
      } else if (s.startsWith('<!', this.i)) {
        this.fail('markup declaration refused', 'DM_ERR_XML_FORBIDDEN');
      } else {
        if (root) this.fail('a second root element');
        root = this.element();
      }
    }
    if (!root) this.fail('no root element');
    return root;
  }

  private comment(): void {
    const end = this.s.indexOf('-->', this.i + 4);
    if (end < 0) this.fail('unterminated comment');
    this.i = end + 3;
  }

  /** A DOCTYPE naming an external DTD is tolerated and ignored; an internal subset (entities!) is refused. */
  private doctype(): void {
    const s = this.s;
    let i = this.i + 9;
    let quote = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (quote) {
        if (c === quote) quote = 0;
        continue;
      }
      if (c === 34 || c === 39) quote = c;
      else if (c === 91) {
        this.i = i;
        this.fail('DOCTYPE with an internal subset is refused (no DTD processing)', 'DM_ERR_XML_FORBIDDEN');
      } else if (c === 62) break;
    }
    if (i >= s.length) this.fail('unterminated DOCTYPE');
    this.i = i + 1;
  }

  private name(): string {
    const s = this.s;
    const start = this.i;
    let i = start;
    // isNameStart, then isNameChar, written inline: two calls per character made parsing 5% slower.
    for (
      let c = s.charCodeAt(i);
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 57 && i > start) ||
      c === 95 ||
      c === 58 ||
      ((c === 45 || c === 46) && i > start) ||
      c > 127;
      c = s.charCodeAt(++i)
    );
    if (i === start) this.fail('expected a name');
    this.i = i;
    return s.slice(start, i);
  }

  /**
   * One start tag (its attributes read, only xmlns kept) at nesting `depth`. Returns the element; its
   * qualified name and whether the tag was empty (<X/>) are left in tagName and tagEmpty (no object per tag:
   * the host reads thousands of messages a second).
   */
  private startTag(depth: number): El {
    if (depth > this.lim.maxDepth)
      throw new DmError('DM_ERR_XML_LIMIT', 413, `XML nesting deeper than ${this.lim.maxDepth} at offset ${this.i}`);
    if (++this.elements > this.lim.maxElements)
      throw new DmError('DM_ERR_XML_LIMIT', 413, `more than ${this.lim.maxElements} XML elements`);
    const s = this.s;
    this.i++; // '<'
    const qname = this.name();
    const colon = qname.indexOf(':');
    const el: El = { name: colon >= 0 ? qname.slice(colon + 1) : qname, children: [] };
    // Attributes: only xmlns matters (the MetInf namespace); the rest are read and dropped.
    for (;;) {
      this.skipSpace();
      const c = s.charCodeAt(this.i);
      if (c === 62) {
        this.i++;
        this.tagName = qname;
        this.tagEmpty = false;
        return el;
      }
      if (c === 47) {
        if (s.charCodeAt(this.i + 1) !== 62) this.fail("expected '>' after '/'");
        this.i += 2;
        this.tagName = qname;
        this.tagEmpty = true;
        return el;
      }
      if (Number.isNaN(c)) this.fail(`unterminated start tag <${qname}>`);
      const an = this.name();
      this.skipSpace();
      if (s.charCodeAt(this.i) !== 61) this.fail(`attribute ${an} without '='`);
      this.i++;
      this.skipSpace();
      const q = s.charCodeAt(this.i);
      if (q !== 34 && q !== 39) this.fail(`attribute ${an} value must be quoted`);
      const end = s.indexOf(q === 34 ? '"' : "'", this.i + 1);
      if (end < 0) this.fail(`unterminated attribute ${an}`);
      const lt = s.indexOf('<', this.i + 1);
      if (lt >= 0 && lt < end) {
        this.i = lt;
        this.fail(`'<' in the value of attribute ${an}`);
      }
      const value = this.decodeText(s.slice(this.i + 1, end), this.i + 1);
      this.i = end + 1;
      if ((an === 'xmlns' || an.startsWith('xmlns:')) && value.toLowerCase() === NS_METINF) el.ns = NS_METINF;
    }
  }

  /**
   * The root element and everything in it. The open elements are kept in an array, not on the call stack:
   * XS gives a device a stack of a few hundred slots, which a recursive reader would overflow (an abort, not
   * an exception) on a message nested to the depth limit.
   */
  private element(): El {
    const s = this.s;
    const first = this.startTag(1);
    if (this.tagEmpty) return first;
    // Per open element: the element, its qualified name, and whether it has both text and child elements
    // (the text may then be layout). The text read since the last tag belongs to the innermost one: an
    // element's text is flushed to its children before a child opens.
    const els: El[] = [first];
    const names: string[] = [this.tagName];
    const mixed: boolean[] = [false];
    let text = '';
    for (;;) {
      const top = els.length - 1;
      const lt = s.indexOf('<', this.i);
      if (lt < 0) {
        this.i = s.length;
        this.fail(`unterminated element <${names[top]}>`);
      }
      if (lt > this.i) {
        const raw = s.slice(this.i, lt);
        // Only a CDATA section may end with it (XML 1.0 §2.4).
        const end = this.cdataEnds ? raw.indexOf(']]>') : -1;
        if (end >= 0) {
          this.i += end;
          this.fail("']]>' in text");
        }
        text += this.decodeText(raw, this.i);
      }
      this.i = lt;
      const n = s.charCodeAt(lt + 1);
      if (n === 47) {
        // '</'
        const qname = names[top]!;
        const after = lt + 2 + qname.length;
        // The end tag names the open element: checked in place, a name read (a string) only to say what is wrong.
        if (s.startsWith(qname, lt + 2) && !isNameChar(s.charCodeAt(after))) this.i = after;
        else {
          this.i += 2;
          this.fail(`</${this.name()}> closes <${qname}>`);
        }
        this.skipSpace();
        if (s.charCodeAt(this.i) !== 62) this.fail(`expected '>' in </${qname}>`);
        this.i++;
        const el = els[top]!;
        // A leaf's one text gets an array of its size (a push would reserve room for 17 on V8).
        if (text) {
          if (el.children.length === 0) el.children = [text];
          else {
            el.children.push(text);
            mixed[top] = true;
          }
        }
        // Whitespace-only text between child elements is layout, not content.
        if (mixed[top]) el.children = el.children.filter(notLayout);
        els.pop();
        names.pop();
        mixed.pop();
        text = '';
        if (top === 0) return el;
        continue;
      }
      if (n === 33) {
        // '<!'
        if (s.startsWith('<![CDATA[', lt)) {
          const end = s.indexOf(']]>', lt + 9);
          if (end < 0) this.fail('unterminated CDATA section');
          text += s.slice(lt + 9, end);
          this.i = end + 3;
          continue;
        }
        if (s.startsWith('<!--', lt)) {
          this.comment();
          continue;
        }
        this.fail('markup declaration inside an element refused', 'DM_ERR_XML_FORBIDDEN');
      }
      if (n === 63) this.fail('processing instructions are refused', 'DM_ERR_XML_FORBIDDEN');
      if (text) {
        els[top]!.children.push(text);
        text = '';
        mixed[top] = true;
      }
      const child = this.startTag(top + 2);
      els[top]!.children.push(child);
      if (!this.tagEmpty) {
        els.push(child);
        names.push(this.tagName);
        mixed.push(false);
      }
    }
  }

  private decodeText(raw: string, at: number): string {
    if (raw.indexOf('&') < 0) return raw;
    let out = '';
    let last = 0;
    for (let a = raw.indexOf('&'); a >= 0; a = raw.indexOf('&', last)) {
      const semi = raw.indexOf(';', a);
      if (semi < 0 || semi - a > 12) {
        this.i = at + a;
        this.fail('unterminated entity reference');
      }
      const ref = raw.slice(a + 1, semi);
      let ch: string | undefined;
      if (ref.charCodeAt(0) === 35) {
        // '#'
        const hexForm = ref.charCodeAt(1) === 120;
        const digits = ref.slice(hexForm ? 2 : 1);
        const cp = (hexForm ? isHexDigits(digits) : isDigits(digits)) ? parseInt(digits, hexForm ? 16 : 10) : NaN;
        if (!isXmlChar(cp)) {
          this.i = at + a;
          this.fail(`invalid character reference &${ref};`);
        }
        ch = String.fromCodePoint(cp);
      } else {
        ch = ENTITIES[ref];
        if (ch === undefined) {
          this.i = at + a;
          this.fail(`unknown entity &${ref}; (only the five predefined entities are allowed)`, 'DM_ERR_XML_FORBIDDEN');
        }
      }
      out += raw.slice(last, a) + ch;
      last = semi + 1;
    }
    return out + raw.slice(last);
  }
}

/** Letters, '_', ':' and anything beyond ASCII (taken as is: the reader does not check names further). */
function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || c > 127;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;
}

const notLayout = (c: ElChild): boolean => typeof c !== 'string' || !isSpace(c);

function isSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return false;
  }
  return true;
}
