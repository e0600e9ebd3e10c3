// El <-> SyncMLMessage, once for both encodings. Emission follows the SyncML 1.2 DTD order; decoding checks
// what DM requires and names the place of every refusal ("SyncBody/Add[CmdID=4]/Item[2]: missing Target").
// Over 400 lines: one function per SyncML element in each direction, in the DTD's order, so that the two
// directions of an element are read side by side; splitting by direction would separate them.
import type { El, ElChild } from './element.js';
import { NS_METINF } from './element.js';
import type {
  AlertCmd,
  Command,
  ContainerCmd,
  Cred,
  Data,
  ExecCmd,
  Item,
  ItemCmd,
  LocRef,
  Meta,
  ResultsCmd,
  StatusCmd,
  SyncHdr,
  SyncMLMessage,
} from './model.js';
import { DmError } from '../errors.js';
import { base64Encode, utf8Decode } from '../util/bytes.js';

const ITEM_CMDS = new Set(['Add', 'Replace', 'Delete', 'Copy', 'Get']);
const OTHER_SYNCML_CMDS = new Set(['Sync', 'Put', 'Map', 'Search', 'Move']);

function bad(where: string, what: string, status = 400): DmError {
  return new DmError('DM_ERR_BAD_SYNCML', status, `${where}: ${what}`);
}

function kids(el: El): El[] {
  const out: El[] = [];
  for (const c of el.children) if (typeof c === 'object' && !(c instanceof Uint8Array)) out.push(c);
  return out;
}

function child(el: El, name: string): El | undefined {
  for (const c of el.children) if (typeof c === 'object' && !(c instanceof Uint8Array) && c.name === name) return c;
  return undefined;
}

function text(el: El): string {
  let s = '';
  for (const c of el.children) {
    if (typeof c === 'string') s += c;
    else if (c instanceof Uint8Array) s += base64Encode(c);
  }
  return s;
}

function textOf(el: El, name: string): string | undefined {
  const c = child(el, name);
  return c === undefined ? undefined : text(c).trim();
}

function need(el: El, name: string, where: string, status = 400): string {
  const v = textOf(el, name);
  if (v === undefined) throw bad(where, `missing ${name}`, status);
  return v;
}

function num(v: string, where: string): number {
  if (!/^\d{1,10}$/.test(v)) throw bad(where, `'${v}' is not a decimal integer`);
  return Number(v);
}

function locRef(el: El, where: string): LocRef {
  const uri = textOf(el, 'LocURI');
  if (uri === undefined) throw bad(where, 'missing LocURI');
  const r: LocRef = { locURI: uri };
  const name = textOf(el, 'LocName');
  if (name !== undefined) r.locName = name;
  return r;
}

function meta(el: El, where: string): Meta {
  const m: Meta = {};
  // MetInf children may come wrapped in <MetInf> (some peers do).
  const list = kids(el).flatMap((c) => (c.name === 'MetInf' ? kids(c) : [c]));
  for (const c of list) {
    const v = text(c).trim();
    switch (c.name) {
      case 'Format':
        m.format = v;
        break;
      case 'Type':
        m.type = v;
        break;
      case 'Mark':
        m.mark = v;
        break;
      case 'Size':
        m.size = num(v, `${where}/Size`);
        break;
      case 'NextNonce':
        m.nextNonce = v;
        break;
      case 'Version':
        m.version = v;
        break;
      case 'MaxMsgSize':
        m.maxMsgSize = num(v, `${where}/MaxMsgSize`);
        break;
      case 'MaxObjSize':
        m.maxObjSize = num(v, `${where}/MaxObjSize`);
        break;
      case 'EMI':
        (m.emi ??= []).push(v);
        break;
      default:
        break; // other MetInf (Anchor, Mem, FieldLevel …) carry nothing DM needs
    }
  }
  return m;
}

function data(el: El): Data {
  const elems = kids(el);
  if (elems.length > 0)
    return el.children
      .map((c) => (typeof c === 'string' ? escapeText(c) : c instanceof Uint8Array ? base64Encode(c) : serialize(c)))
      .join('');
  if (el.children.length === 1 && el.children[0] instanceof Uint8Array) return el.children[0];
  return text(el);
}

/**
 * libwbxml and other peers send any Data as OPAQUE; what is not declared binary is text to DM, so opaque
 * bytes that are valid UTF-8 become a string unless the Format says bin.
 */
function textUnlessBinary(d: Data, format: string | undefined): Data {
  if (!(d instanceof Uint8Array) || format === 'bin') return d;
  try {
    return utf8Decode(d);
  } catch {
    return d;
  }
}

function item(el: El, where: string, inherited?: string): Item {
  const it: Item = {};
  const t = child(el, 'Target');
  if (t) it.target = locRef(t, `${where}/Target`);
  const s = child(el, 'Source');
  if (s) it.source = locRef(s, `${where}/Source`);
  const m = child(el, 'Meta');
  if (m) it.meta = meta(m, `${where}/Meta`);
  const d = child(el, 'Data');
  if (d) it.data = textUnlessBinary(data(d), it.meta?.format ?? inherited);
  if (child(el, 'MoreData')) it.moreData = true;
  return it;
}

function items(el: El, where: string, inherited?: string): Item[] {
  const out: Item[] = [];
  let n = 0;
  for (const c of kids(el)) if (c.name === 'Item') out.push(item(c, `${where}/Item[${++n}]`, inherited));
  return out;
}

function cred(el: El, where: string): Cred {
  const c: Cred = { data: need(el, 'Data', where) };
  const m = child(el, 'Meta');
  if (m) c.meta = meta(m, `${where}/Meta`);
  return c;
}

/**
 * Atomic and Sequence nested deeper than this are answered 406 rather than read: DM nests them one in the
 * other at most (an Atomic in a Sequence, or the reverse), and each level read here and run by the session
 * is a frame on the device's small call stack.
 */
export const MAX_CONTAINER_NESTING = 3;

function command(el: El, where: string, containers = 0): Command {
  const cmdId = textOf(el, 'CmdID');
  const here = `${where}/${el.name}${cmdId !== undefined ? `[CmdID=${cmdId}]` : ''}`;
  const tooDeep = (el.name === 'Atomic' || el.name === 'Sequence') && containers >= MAX_CONTAINER_NESTING;
  if (tooDeep || OTHER_SYNCML_CMDS.has(el.name)) return { kind: 'Unsupported', name: el.name, cmdId: cmdId ?? '' };
  if (cmdId === undefined) throw bad(here, 'missing CmdID', 412);
  const noResp = child(el, 'NoResp') !== undefined;
  const base = noResp ? { cmdId, noResp } : { cmdId };
  const m = child(el, 'Meta');
  if (el.name === 'Alert') {
    const a: AlertCmd = { kind: 'Alert', ...base, items: items(el, here) };
    const d = textOf(el, 'Data');
    if (d !== undefined) a.data = d;
    const corr = textOf(el, 'Correlator');
    if (corr !== undefined) a.correlator = corr;
    return a;
  }
  if (ITEM_CMDS.has(el.name)) {
    const cmdMeta = m ? meta(m, `${here}/Meta`) : undefined;
    const c: ItemCmd = { kind: el.name as ItemCmd['kind'], ...base, items: items(el, here, cmdMeta?.format) };
    if (cmdMeta) c.meta = cmdMeta;
    if (c.items.length === 0) throw bad(here, 'needs at least one Item', 412);
    return c;
  }
  if (el.name === 'Exec') {
    const c: ExecCmd = { kind: 'Exec', ...base, items: items(el, here) };
    if (m) c.meta = meta(m, `${here}/Meta`);
    const corr = textOf(el, 'Correlator');
    if (corr !== undefined) c.correlator = corr;
    if (c.items.length === 0) throw bad(here, 'needs an Item', 412);
    return c;
  }
  if (el.name === 'Atomic' || el.name === 'Sequence') {
    const c: ContainerCmd = { kind: el.name, ...base, commands: [] };
    if (m) c.meta = meta(m, `${here}/Meta`);
    for (const k of kids(el)) {
      if (k.name === 'CmdID' || k.name === 'NoResp' || k.name === 'Meta') continue;
      c.commands.push(command(k, here, containers + 1));
    }
    return c;
  }
  if (el.name === 'Results') {
    const r: ResultsCmd = { kind: 'Results', cmdId, cmdRef: need(el, 'CmdRef', here, 412), items: items(el, here) };
    const mr = textOf(el, 'MsgRef');
    if (mr !== undefined) r.msgRef = mr;
    if (m) r.meta = meta(m, `${here}/Meta`);
    const tr = textOf(el, 'TargetRef');
    if (tr !== undefined) r.targetRef = tr;
    const sr = textOf(el, 'SourceRef');
    if (sr !== undefined) r.sourceRef = sr;
    return r;
  }
  if (el.name === 'Status') {
    const s: StatusCmd = {
      kind: 'Status',
      cmdId,
      msgRef: need(el, 'MsgRef', here, 412),
      cmdRef: need(el, 'CmdRef', here, 412),
      cmd: need(el, 'Cmd', here, 412),
      targetRefs: [],
      sourceRefs: [],
      items: items(el, here),
      data: need(el, 'Data', here, 412),
    };
    for (const k of kids(el)) {
      if (k.name === 'TargetRef') s.targetRefs.push(text(k).trim());
      else if (k.name === 'SourceRef') s.sourceRefs.push(text(k).trim());
    }
    const cr = child(el, 'Cred');
    if (cr) s.cred = cred(cr, `${here}/Cred`);
    const ch = child(el, 'Chal');
    if (ch) {
      const cm = child(ch, 'Meta');
      s.chal = { meta: cm ? meta(cm, `${here}/Chal/Meta`) : {} };
    }
    return s;
  }
  throw bad(here, `unknown command <${el.name}>`);
}

export function elementToMessage(root: El): SyncMLMessage {
  if (root.name !== 'SyncML') throw bad('/', `root element is <${root.name}>, not <SyncML>`);
  const h = child(root, 'SyncHdr');
  if (!h) throw bad('SyncML', 'missing SyncHdr');
  const b = child(root, 'SyncBody');
  if (!b) throw bad('SyncML', 'missing SyncBody');
  const verDTD = need(h, 'VerDTD', 'SyncHdr');
  const verProto = need(h, 'VerProto', 'SyncHdr');
  if (verDTD !== '1.2' || verProto !== 'DM/1.2') {
    throw new DmError('DM_ERR_UNSUPPORTED_DTD', 505, `SyncHdr: VerDTD ${verDTD} / VerProto ${verProto}; this agent speaks 1.2 / DM/1.2`);
  }
  const target = child(h, 'Target');
  const source = child(h, 'Source');
  if (!target) throw bad('SyncHdr', 'missing Target');
  if (!source) throw bad('SyncHdr', 'missing Source');
  const hdr: SyncHdr = {
    verDTD,
    verProto,
    sessionId: need(h, 'SessionID', 'SyncHdr'),
    msgId: need(h, 'MsgID', 'SyncHdr'),
    target: locRef(target, 'SyncHdr/Target'),
    source: locRef(source, 'SyncHdr/Source'),
  };
  const resp = textOf(h, 'RespURI');
  if (resp !== undefined) hdr.respURI = resp;
  if (child(h, 'NoResp')) hdr.noResp = true;
  const cr = child(h, 'Cred');
  if (cr) hdr.cred = cred(cr, 'SyncHdr/Cred');
  const m = child(h, 'Meta');
  if (m) hdr.meta = meta(m, 'SyncHdr/Meta');
  const body: Command[] = [];
  let final = false;
  for (const c of kids(b)) {
    if (c.name === 'Final') {
      final = true;
      continue;
    }
    body.push(command(c, 'SyncBody'));
  }
  return { hdr, body, final };
}

// ------------------------------------------------------------------ emission

function el(name: string, children: ElChild[] = []): El {
  return { name, children };
}

function leaf(name: string, value: string): El {
  return { name, children: value === '' ? [] : [value] };
}

function mi(name: string, value: string): El {
  return { name, ns: NS_METINF, children: [value] };
}

function metaEl(m: Meta): El {
  // MetInf DTD order: FieldLevel?, Format?, Type?, Mark?, Size?, Anchor?, Version?, NextNonce?, MaxMsgSize?, MaxObjSize?, EMI*, Mem?
  const c: El[] = [];
  if (m.format !== undefined) c.push(mi('Format', m.format));
  if (m.type !== undefined) c.push(mi('Type', m.type));
  if (m.mark !== undefined) c.push(mi('Mark', m.mark));
  if (m.size !== undefined) c.push(mi('Size', String(m.size)));
  if (m.version !== undefined) c.push(mi('Version', m.version));
  if (m.nextNonce !== undefined) c.push(mi('NextNonce', m.nextNonce));
  if (m.maxMsgSize !== undefined) c.push(mi('MaxMsgSize', String(m.maxMsgSize)));
  if (m.maxObjSize !== undefined) c.push(mi('MaxObjSize', String(m.maxObjSize)));
  for (const e of m.emi ?? []) c.push(mi('EMI', e));
  return el('Meta', c);
}

function locEl(name: string, r: LocRef): El {
  const c = [leaf('LocURI', r.locURI)];
  if (r.locName !== undefined) c.push(leaf('LocName', r.locName));
  return el(name, c);
}

function dataEl(d: Data): El {
  return el('Data', d instanceof Uint8Array ? [d] : d === '' ? [] : [d]);
}

function itemEl(it: Item): El {
  const c: El[] = [];
  if (it.target) c.push(locEl('Target', it.target));
  if (it.source) c.push(locEl('Source', it.source));
  if (it.meta) c.push(metaEl(it.meta));
  if (it.data !== undefined) c.push(dataEl(it.data));
  if (it.moreData) c.push(el('MoreData'));
  return el('Item', c);
}

function credEl(c: Cred): El {
  const k: El[] = [];
  if (c.meta) k.push(metaEl(c.meta));
  k.push(leaf('Data', c.data));
  return el('Cred', k);
}

function commandEl(c: Command): El {
  const k: El[] = [leaf('CmdID', c.cmdId)];
  switch (c.kind) {
    case 'Alert':
      if (c.noResp) k.push(el('NoResp'));
      if (c.data !== undefined) k.push(leaf('Data', c.data));
      if (c.correlator !== undefined) k.push(leaf('Correlator', c.correlator));
      for (const it of c.items) k.push(itemEl(it));
      break;
    case 'Add':
    case 'Replace':
    case 'Delete':
    case 'Copy':
    case 'Get':
      if (c.noResp) k.push(el('NoResp'));
      if (c.meta) k.push(metaEl(c.meta));
      for (const it of c.items) k.push(itemEl(it));
      break;
    case 'Exec':
      if (c.noResp) k.push(el('NoResp'));
      if (c.meta) k.push(metaEl(c.meta));
      if (c.correlator !== undefined) k.push(leaf('Correlator', c.correlator));
      for (const it of c.items) k.push(itemEl(it));
      break;
    case 'Atomic':
    case 'Sequence':
      if (c.noResp) k.push(el('NoResp'));
      if (c.meta) k.push(metaEl(c.meta));
      for (const sub of c.commands) k.push(commandEl(sub));
      break;
    case 'Results':
      if (c.msgRef !== undefined) k.push(leaf('MsgRef', c.msgRef));
      k.push(leaf('CmdRef', c.cmdRef));
      if (c.meta) k.push(metaEl(c.meta));
      if (c.targetRef !== undefined) k.push(leaf('TargetRef', c.targetRef));
      if (c.sourceRef !== undefined) k.push(leaf('SourceRef', c.sourceRef));
      for (const it of c.items) k.push(itemEl(it));
      break;
    case 'Status':
      k.push(leaf('MsgRef', c.msgRef), leaf('CmdRef', c.cmdRef), leaf('Cmd', c.cmd));
      for (const t of c.targetRefs) k.push(leaf('TargetRef', t));
      for (const s of c.sourceRefs) k.push(leaf('SourceRef', s));
      if (c.cred) k.push(credEl(c.cred));
      if (c.chal) k.push(el('Chal', [metaEl(c.chal.meta)]));
      k.push(leaf('Data', c.data));
      for (const it of c.items) k.push(itemEl(it));
      break;
    case 'Unsupported':
      throw new DmError('DM_ERR_NOT_SUPPORTED', 406, `cannot encode unsupported command <${c.name}>`);
  }
  return el(c.kind, k);
}

/**
 * A message as the writers stream it: the SyncHdr element, then the SyncBody's elements one command at a
 * time (`bodyElement(k)`), so that only one command's element tree exists at once. Writing these in
 * order gives what writing messageToElement(msg) gives.
 */
export function messageParts(msg: SyncMLMessage): { header: El; bodyCount: number; bodyElement(k: number): El } {
  const body = msg.body;
  const count = body.length + (msg.final ? 1 : 0);
  return {
    header: headerEl(msg),
    bodyCount: count,
    bodyElement: (k) => (k < body.length ? commandEl(body[k]!) : el('Final')),
  };
}

function headerEl(msg: SyncMLMessage): El {
  const h = msg.hdr;
  const hk: El[] = [
    leaf('VerDTD', h.verDTD),
    leaf('VerProto', h.verProto),
    leaf('SessionID', h.sessionId),
    leaf('MsgID', h.msgId),
    locEl('Target', h.target),
    locEl('Source', h.source),
  ];
  if (h.respURI !== undefined) hk.push(leaf('RespURI', h.respURI));
  if (h.noResp) hk.push(el('NoResp'));
  if (h.cred) hk.push(credEl(h.cred));
  if (h.meta) hk.push(metaEl(h.meta));
  return el('SyncHdr', hk);
}

export function messageToElement(msg: SyncMLMessage): El {
  const body = msg.body.map(commandEl);
  if (msg.final) body.push(el('Final'));
  return el('SyncML', [headerEl(msg), el('SyncBody', body)]);
}

/**
 * Text content as XML: the three markup characters escaped, and what XML 1.0 cannot carry at all (C0 controls
 * other than tab, LF and CR; a lone surrogate; U+FFFE and U+FFFF) replaced by U+FFFD, so that the message stays
 * well-formed and its UTF-8 is the same whichever converter writes it. A CR is written as a reference: raw,
 * every XML parser turns it (and a CR LF) into LF (XML 1.0 §2.11).
 */
export function escapeText(s: string): string {
  if (!MAY_ESCAPE.test(s)) return s;
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 38) rep = '&amp;';
    else if (c === 60) rep = '&lt;';
    else if (c === 62) rep = '&gt;';
    else if (c < 0x20) {
      if (c === 13) rep = '&#13;';
      else if (c !== 9 && c !== 10) rep = '\ufffd';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = c <= 0xdbff ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      else rep = '\ufffd';
    } else if (c === 0xfffe || c === 0xffff) rep = '\ufffd';
    if (rep) {
      out += s.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return last === 0 ? s : out + s.slice(last);
}

/** What escapeText may change (a surrogate pair is kept, but looked at): most texts have none. */
const MAY_ESCAPE = /[&<>\u0000-\u0008\u000B-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

// Embedded markup inside Data (DevInf, TNDS) is kept as its XML text.
/** An element as XML text; the open elements are kept in an array, not on the (small) XS call stack. */
function serialize(root: El): string {
  let s = '';
  // [element, index of the next child to write; -1: its start tag is still to write]
  const open: [El, number][] = [[root, -1]];
  while (open.length) {
    const top = open[open.length - 1]!;
    const e = top[0];
    if (top[1] < 0) {
      const attrs = e.ns ? ` xmlns="${e.ns}"` : '';
      if (e.children.length === 0) {
        s += `<${e.name}${attrs}/>`;
        open.pop();
        continue;
      }
      s += `<${e.name}${attrs}>`;
      top[1] = 0;
      continue;
    }
    if (top[1] >= e.children.length) {
      s += `</${e.name}>`;
      open.pop();
      continue;
    }
    const c = e.children[top[1]++]!;
    if (typeof c === 'string') s += escapeText(c);
    else if (c instanceof Uint8Array) s += base64Encode(c);
    else open.push([c, -1]);
  }
  return s;
}
