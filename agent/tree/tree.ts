// The DM tree in memory (OMA-TS-DM_TND 1.2): interior and leaf nodes, Format/Type/Size, ACLs inherited from
// the nearest ancestor that has one, and the status codes the DM protocol gives each refusal.
// Over 400 lines: the tree's invariants (ACL inheritance, limits, commit and rollback) are checked by the
// one class that mutates nodes; contracts are in types.ts, nodes in node.ts, the stored form in
// persist-format.ts.
import type { Storage } from '../ports.js';
import type { Data } from '../syncml/model.js';
import type { AclCommand, DmTree, NodeFormat, NodeProperty, NodeValue, NodeView, Principal, TreeLimits, TreeSnapshot } from './types.js';
import { DEVICE } from './types.js';
import type { TNode } from './node.js';
import { DmError, errorMessage } from '../errors.js';
import { base64Decode, utf8Decode, utf8Encode, utf8Length } from '../util/bytes.js';
import { serializeTree, treePieces } from './persist-format.js';
import { isFloatText, isTimeText } from '../util/scan.js';

export const DEFAULT_TREE_LIMITS: TreeLimits = {
  maxNodes: 2048,
  maxValueBytes: 16384,
  maxTreeValueBytes: 1 << 20,
  maxUriLength: 255,
  maxDepth: 16,
  maxSegmentLength: 32,
};

/** TND: the root's ACL must grant Add and Get to every server. */
export const ROOT_ACL = 'Add=*&Get=*';

const FORMATS = new Set(['chr', 'int', 'bool', 'bin', 'b64', 'node', 'null', 'xml', 'date', 'time', 'float']);

export function newNode(name: string, format: NodeFormat): TNode {
  const n: TNode = { name, format, verNo: 0 };
  if (format === 'node') n.children = [];
  return n;
}

/** Splits './A/B' into ['A','B'] after checking it against the TND URI rules and our limits. */
export function parseUri(uri: string, lim: TreeLimits = DEFAULT_TREE_LIMITS): string[] {
  return plainUriSegments(uri, lim) ?? checkedUriSegments(uri, lim);
}

/**
 * The common case in one pass: './' then ASCII segments, within every limit. Anything else (undefined) goes
 * through checkedUriSegments, which gives the exact refusal. A tree resolves tens of URIs per session.
 */
function plainUriSegments(uri: string, lim: TreeLimits): string[] | undefined {
  const n = uri.length;
  if (n < 3 || n > lim.maxUriLength || uri.charCodeAt(0) !== 46 || uri.charCodeAt(1) !== 47) return undefined;
  const segs: string[] = [];
  let from = 2;
  for (let i = 2; i <= n; i++) {
    const c = i < n ? uri.charCodeAt(i) : 47;
    if (c === 47) {
      const len = i - from;
      if (len === 0 || len > lim.maxSegmentLength || segs.length === lim.maxDepth) return undefined;
      if (uri.charCodeAt(from) === 46 && (len === 1 || (len === 2 && uri.charCodeAt(from + 1) === 46))) return undefined;
      segs.push(uri.slice(from, i));
      from = i + 1;
    } else if (c === 63 || c >= 0x80) {
      return undefined;
    }
  }
  return segs;
}

/** A DM_ERR_NOT_ALLOWED (405) about node `uri`: `what` follows the URI. */
function notAllowed(uri: string, what: string): DmError {
  return new DmError('DM_ERR_NOT_ALLOWED', 405, `${uri}${what}`);
}

/** parseUri's every rule, one at a time, in the order of its refusals (exported as the reference for tests). */
export function checkedUriSegments(uri: string, lim: TreeLimits = DEFAULT_TREE_LIMITS): string[] {
  if (uri.indexOf('?') >= 0) throw new DmError('DM_ERR_URI', 400, `URI '${uri}': query not allowed here`);
  if (utf8Length(uri) > lim.maxUriLength) throw new DmError('DM_ERR_URI', 414, `URI longer than ${lim.maxUriLength} bytes`);
  let u = uri;
  if (u === '.' || u === './' || u === '') return [];
  if (u.startsWith('./')) u = u.slice(2);
  else if (u.startsWith('/')) throw new DmError('DM_ERR_URI', 400, `URI '${uri}': absolute URIs start with './'`);
  const segs = u.split('/');
  if (segs.length > lim.maxDepth) throw new DmError('DM_ERR_URI', 414, `URI '${uri}' deeper than ${lim.maxDepth} segments`);
  for (const s of segs) {
    if (s === '' || s === '.' || s === '..') throw new DmError('DM_ERR_URI', 400, `URI '${uri}': empty, '.' or '..' segment`);
    if (utf8Length(s) > lim.maxSegmentLength)
      throw new DmError('DM_ERR_URI', 414, `node name '${s.slice(0, 40)}' longer than ${lim.maxSegmentLength} bytes`);
  }
  return segs;
}

/**
 * Whether `acl` grants `cmd` to server `who` ('*' grants it to all): parseAcl's answer read in place, with
 * nothing built, as every access checks one. An entry parseAcl would refuse grants nothing; ACLs are checked
 * with parseAcl when set, so only a damaged stored tree holds one.
 */
export function aclGrants(acl: string, cmd: AclCommand, who: string): boolean {
  const n = acl.length;
  for (let from = 0; from < n; ) {
    let end = acl.indexOf('&', from);
    if (end < 0) end = n;
    if (acl.startsWith(cmd, from) && acl.charCodeAt(from + cmd.length) === 61) {
      // '='
      for (let i = from + cmd.length + 1; i < end; ) {
        let plus = acl.indexOf('+', i);
        if (plus < 0 || plus > end) plus = end;
        const len = plus - i;
        if ((len === 1 && acl.charCodeAt(i) === 42) || (len === who.length && len !== 0 && acl.startsWith(who, i))) return true; // '*'
        i = plus + 1;
      }
    }
    from = end + 1;
  }
  return false;
}

export function joinUri(segs: string[]): string {
  return segs.length === 0 ? '.' : `./${segs.join('/')}`;
}

/** Parses 'Add=*&Get=srv1+srv2' into command → server IDs. Malformed ACLs are 400 (a Replace of ?prop=ACL). */
export function parseAcl(acl: string): Map<AclCommand, string[]> {
  const m = new Map<AclCommand, string[]>();
  if (acl === '') return m;
  for (const part of acl.split('&')) {
    const eq = part.indexOf('=');
    const cmd = part.slice(0, eq) as AclCommand;
    if (eq < 1 || !['Add', 'Delete', 'Exec', 'Get', 'Replace'].includes(cmd)) {
      throw new DmError('DM_ERR_BAD_REQUEST', 400, `ACL entry '${part}' is not Add|Delete|Exec|Get|Replace=<server>[+<server>]`);
    }
    const ids = part
      .slice(eq + 1)
      .split('+')
      .filter((x) => x !== '');
    if (ids.length === 0) throw new DmError('DM_ERR_BAD_REQUEST', 400, `ACL entry '${part}' names no server`);
    m.set(cmd, [...(m.get(cmd) ?? []), ...ids]);
  }
  return m;
}

function sizeOf(v: Data | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'string' ? utf8Length(v) : v.length;
}

/** Checks and normalises a leaf value against its Format (415 on mismatch). */
export function checkValue(format: NodeFormat, data: Data | undefined, where: string): Data | undefined {
  if (!FORMATS.has(format)) throw new DmError('DM_ERR_BAD_FORMAT', 415, `${where}: unknown format '${format}'`);
  if (format === 'null') {
    if (data !== undefined && sizeOf(data) > 0) throw new DmError('DM_ERR_BAD_FORMAT', 415, `${where}: format null takes no data`);
    return undefined;
  }
  if (format === 'bin') return data === undefined ? new Uint8Array(0) : typeof data === 'string' ? utf8Encode(data) : data;
  const s = data === undefined ? '' : typeof data === 'string' ? data : utf8Decode(data);
  switch (format) {
    case 'int': {
      validIf(/^[+-]?\d{1,10}$/.test(s), format, s, where);
      const n = Number(s);
      if (n > 2147483647 || n < -2147483648) throw new DmError('DM_ERR_BAD_FORMAT', 415, `${where}: ${s} is outside a signed 32-bit int`);
      break;
    }
    case 'bool':
      validIf(/^(true|false)$/.test(s), format, s, where);
      break;
    case 'float':
      validIf(isFloatText(s), format, s, where);
      break;
    case 'date':
      validIf(/^\d{4}-?\d{2}-?\d{2}$/.test(s), format, s, where);
      break;
    case 'time':
      validIf(isTimeText(s), format, s, where);
      break;
    case 'b64':
      base64Decode(s);
      break;
    default:
      break;
  }
  return s;
}

// A plain function, not a closure made per value checked (a closure is an allocation on the device).
function validIf(valid: boolean, format: NodeFormat, s: string, where: string): void {
  if (!valid) throw new DmError('DM_ERR_BAD_FORMAT', 415, `${where}: '${s.slice(0, 40)}' is not a valid ${format}`);
}

export class MemoryTree implements DmTree {
  declare root: TNode;
  declare private count: number;
  /** Bytes of all leaf values. */
  declare private bytes: number;
  declare readonly limits: TreeLimits;
  declare private storage?: Storage;
  /** Device behaviour on Add (an MO that grows its own children, as SCOMO's Download/<x>/Operations). */
  private readonly addHooks: { parts: string[]; fn: (uri: string) => void }[] = [];

  constructor(opts: { root?: TNode; storage?: Storage; limits?: Partial<TreeLimits> } = {}) {
    this.limits = { ...DEFAULT_TREE_LIMITS, ...opts.limits };
    this.root = opts.root ?? { ...newNode('', 'node'), acl: ROOT_ACL, permanent: true };
    if (opts.storage) this.storage = opts.storage;
    const m = measure(this.root);
    this.count = m.nodes;
    this.bytes = m.bytes;
  }

  attachStorage(storage: Storage): void {
    this.storage = storage;
  }

  get nodeCount(): number {
    return this.count;
  }

  /** Bytes of all leaf values (what maxTreeValueBytes bounds). */
  get valueBytes(): number {
    return this.bytes;
  }

  /** 413 for a value over maxValueBytes; 420 when the tree's values would pass maxTreeValueBytes. */
  private checkSize(uri: string, size: number, replaced: number): void {
    if (size > this.limits.maxValueBytes)
      throw new DmError('DM_ERR_TOO_LARGE', 413, `${uri}: value over ${this.limits.maxValueBytes} bytes`);
    if (this.bytes - replaced + size > this.limits.maxTreeValueBytes) {
      throw new DmError('DM_ERR_DEVICE_FULL', 420, `tree full (${this.limits.maxTreeValueBytes} bytes of values)`);
    }
  }

  private find(segs: string[]): TNode | undefined {
    let n: TNode | undefined = this.root;
    for (const s of segs) {
      n = n.children?.find((c) => c.name === s);
      if (!n) return undefined;
    }
    return n;
  }

  private chain(segs: string[]): TNode[] {
    const out: TNode[] = [this.root];
    let n = this.root;
    for (const s of segs) {
      const c = n.children?.find((x) => x.name === s);
      if (!c) break;
      out.push(c);
      n = c;
    }
    return out;
  }

  /** Effective ACL check: the nearest node up the chain that has an ACL decides. */
  private allowed(nodes: TNode[], cmd: AclCommand, who: Principal): boolean {
    if (who === DEVICE) return true;
    for (let k = nodes.length - 1; k >= 0; k--) {
      const acl = nodes[k]!.acl;
      if (acl === undefined) continue;
      return aclGrants(acl, cmd, who);
    }
    return false;
  }

  /** A change below or at the end of `chain`: its nodes' committed JSON is stale, and the fields of its last one. */
  private touch(chain: TNode[]): void {
    // Only where set: on a device, which keeps none, a property written even as undefined takes a slot.
    for (const n of chain) if (n.savedJson !== undefined) n.savedJson = undefined;
    const last = chain[chain.length - 1]!;
    if (last.savedHead !== undefined) last.savedHead = undefined;
  }

  private must(uri: string, nodes: TNode[], cmd: AclCommand, who: Principal): void {
    if (!this.allowed(nodes, cmd, who)) throw new DmError('DM_ERR_PERMISSION', 425, `ACL of ${uri} does not grant ${cmd} to ${who}`);
  }

  private existing(uri: string): { segs: string[]; node: TNode; chain: TNode[] } {
    const segs = parseUri(uri, this.limits);
    const chain = this.chain(segs);
    if (chain.length !== segs.length + 1) throw new DmError('DM_ERR_NOT_FOUND', 404, `no node ${joinUri(segs)}`);
    return { segs, node: chain[chain.length - 1]!, chain };
  }

  exists(uri: string): boolean {
    try {
      return this.find(parseUri(uri, this.limits)) !== undefined;
    } catch {
      return false;
    }
  }

  get(uri: string, who: Principal): NodeView {
    const { segs, node, chain } = this.existing(uri);
    this.must(uri, chain, 'Get', who);
    return view(node, joinUri(segs));
  }

  list(uri: string, who: Principal, max: number): NodeView[] {
    const { segs, node, chain } = this.existing(uri);
    this.must(uri, chain, 'Get', who);
    const out: NodeView[] = [];
    // Parents first, children in order. A node without an ACL of its own reads as its parent does: the
    // decision is handed down, not looked up. The nodes still to visit are kept in an array, not in frames
    // of the device's small call stack (the tree may be 16 levels deep).
    const todo: [TNode, string, boolean][] = [[node, joinUri(segs), true]];
    while (todo.length) {
      const [n, at, readable] = todo.pop()!;
      const mayGet = n.acl === undefined ? readable : this.allowed([n], 'Get', who);
      if (mayGet) {
        if (out.length === max) throw new DmError('DM_ERR_TOO_LARGE', 413, `${uri} holds more than ${max} nodes`);
        out.push(view(n, at));
      }
      const kids = n.children ?? [];
      for (let k = kids.length - 1; k >= 0; k--) {
        const c = kids[k]!;
        todo.push([c, at === '.' ? `./${c.name}` : `${at}/${c.name}`, mayGet]);
      }
    }
    return out;
  }

  getProperty(uri: string, prop: NodeProperty, who: Principal): string {
    const { node, chain } = this.existing(uri);
    this.must(uri, chain, 'Get', who);
    switch (prop) {
      case 'ACL':
        return node.acl ?? '';
      case 'Format':
        return node.format;
      case 'Type':
        return node.type ?? '';
      case 'Size':
        if (node.format === 'node') throw notAllowed(uri, ': interior nodes have no Size');
        return String(sizeOf(node.value));
      case 'Name':
        return node.name;
      case 'Title':
        return node.title ?? '';
      case 'TStamp':
        return node.tstamp === undefined ? '' : new Date(node.tstamp).toISOString();
      case 'VerNo':
        return String(node.verNo);
    }
  }

  add(uri: string, value: NodeValue, who: Principal): void {
    const segs = parseUri(uri, this.limits);
    if (segs.length === 0) throw new DmError('DM_ERR_ALREADY_EXISTS', 418, 'the root always exists');
    const chain = this.chain(segs);
    if (chain.length === segs.length + 1) throw new DmError('DM_ERR_ALREADY_EXISTS', 418, `${joinUri(segs)} already exists`);
    const parent = chain[chain.length - 1]!;
    if (parent.format !== 'node') throw notAllowed(joinUri(segs.slice(0, chain.length - 1)), ' is a leaf: nothing can be added under it');
    this.must(uri, chain, 'Add', who);
    const missing = segs.length - chain.length; // interior parents created implicitly (DM 1.2)
    if (this.count + missing + 1 > this.limits.maxNodes)
      throw new DmError('DM_ERR_DEVICE_FULL', 420, `tree full (${this.limits.maxNodes} nodes)`);
    const data = value.format === 'node' ? undefined : checkValue(value.format, value.data, uri);
    const size = sizeOf(data);
    this.checkSize(uri, size, 0);
    this.touch(chain);
    this.bytes += size;
    let at = parent;
    const created: string[][] = [];
    for (let k = chain.length - 1; k < segs.length - 1; k++) {
      const n = newNode(segs[k]!, 'node');
      at.children!.push(n);
      at = n;
      this.count++;
      created.push(segs.slice(0, k + 1));
    }
    const leaf = newNode(segs[segs.length - 1]!, value.format);
    if (value.type !== undefined) leaf.type = value.type;
    if (data !== undefined) leaf.value = data;
    at.children!.push(leaf);
    this.count++;
    created.push(segs);
    for (const c of created) {
      for (const h of this.addHooks) {
        if (h.parts.length === c.length && h.parts.every((p, i) => p === '*' || p === c[i])) h.fn(joinUri(c));
      }
    }
  }

  /** Runs fn(uri) after every Add of a node matching pattern ('*' = one segment), e.g. './SCOMO/Download/*'. */
  onAdd(pattern: string, fn: (uri: string) => void): void {
    this.addHooks.push({ parts: pattern.replace(/^\.\//, '').split('/'), fn });
  }

  replace(uri: string, value: Partial<NodeValue> & { data?: Data }, who: Principal): void {
    const { node, chain } = this.existing(uri);
    this.must(uri, chain, 'Replace', who);
    if (node.format === 'node') {
      if (value.data !== undefined && sizeOf(value.data) > 0) throw notAllowed(uri, ' is an interior node: it has no value');
      if (value.format !== undefined && value.format !== 'node') throw notAllowed(uri, ': an interior node cannot become a leaf');
      return;
    }
    const format = value.format ?? node.format;
    if (format === 'node') throw notAllowed(uri, ': a leaf cannot become an interior node');
    if ((format !== node.format || (value.type !== undefined && value.type !== node.type)) && node.permanent && who !== DEVICE) {
      throw notAllowed(uri, ' is permanent: its Format and Type cannot change');
    }
    const data = checkValue(format, value.data, uri);
    const size = sizeOf(data);
    const old = sizeOf(node.value);
    this.checkSize(uri, size, old);
    this.touch(chain);
    this.bytes += size - old;
    node.format = format;
    if (value.type !== undefined) node.type = value.type;
    if (data === undefined) delete node.value;
    else node.value = data;
    node.verNo = (node.verNo + 1) & 0xffff;
  }

  replaceProperty(uri: string, prop: 'ACL' | 'Name' | 'Title', value: string, who: Principal): void {
    const { segs, node, chain } = this.existing(uri);
    if (prop === 'ACL') {
      // TND: Replace of a leaf's ACL needs Replace on its parent; of an interior node's, on the node itself.
      const decider = node.format === 'node' ? chain : chain.slice(0, -1);
      this.must(uri, decider, 'Replace', who);
      parseAcl(value);
      if (segs.length === 0 && value === '') throw new DmError('DM_ERR_NOT_ALLOWED', 405, 'the root ACL cannot be removed');
      this.touch(chain);
      node.acl = value;
      return;
    }
    this.must(uri, chain, 'Replace', who);
    if (prop === 'Title') {
      this.touch(chain);
      node.title = value;
      return;
    }
    if (segs.length === 0 || node.permanent) throw notAllowed(uri, ' cannot be renamed');
    parseUri(`./${value}`, this.limits);
    if (value.includes('/')) throw new DmError('DM_ERR_URI', 400, `node name '${value}' contains '/'`);
    const parent = chain[chain.length - 2]!;
    if (parent.children!.some((c) => c.name === value))
      throw new DmError('DM_ERR_ALREADY_EXISTS', 418, `${value} already exists beside ${node.name}`);
    this.touch(chain);
    node.name = value;
  }

  delete(uri: string, who: Principal): void {
    const { segs, node, chain } = this.existing(uri);
    if (segs.length === 0) throw new DmError('DM_ERR_NOT_ALLOWED', 405, 'the root cannot be deleted');
    this.must(uri, chain, 'Delete', who);
    if (who !== DEVICE && eachNode(node, (x) => x.permanent === true)) throw notAllowed(uri, ' is (or holds) a permanent node');
    const parent = chain[chain.length - 2]!;
    this.touch(chain);
    parent.children = parent.children!.filter((c) => c !== node);
    const m = measure(node);
    this.count -= m.nodes;
    this.bytes -= m.bytes;
  }

  copy(targetUri: string, sourceUri: string, who: Principal): void {
    const src = this.existing(sourceUri);
    this.must(sourceUri, src.chain, 'Get', who);
    if (src.node.format === 'node') throw notAllowed(sourceUri, ': DM 1.2 Copy takes leaf nodes only');
    const value: NodeValue = { format: src.node.format };
    if (src.node.type !== undefined) value.type = src.node.type;
    if (src.node.value !== undefined) value.data = src.node.value instanceof Uint8Array ? src.node.value.slice() : src.node.value;
    if (this.exists(targetUri)) {
      const t = this.existing(targetUri);
      if (t.node.format === 'node') throw notAllowed(targetUri, ': DM 1.2 Copy takes leaf nodes only');
      this.replace(targetUri, value, who);
    } else {
      this.add(targetUri, value, who);
    }
  }

  checkExec(uri: string, who: Principal): void {
    const { node, chain } = this.existing(uri);
    this.must(uri, chain, 'Exec', who);
    if (!node.exec) throw notAllowed(uri, ' is not executable');
  }

  setFlags(uri: string, flags: { exec?: boolean; permanent?: boolean }): void {
    const { node, chain } = this.existing(uri);
    this.touch(chain);
    if (flags.exec !== undefined) node.exec = flags.exec;
    if (flags.permanent !== undefined) node.permanent = flags.permanent;
  }

  /** Device-side ACL setter (seed and SCOMO); servers go through replaceProperty. */
  setAcl(uri: string, acl: string | undefined): void {
    const { node, chain } = this.existing(uri);
    if (acl !== undefined) parseAcl(acl);
    this.touch(chain);
    if (acl === undefined) delete node.acl;
    else node.acl = acl;
  }

  snapshot(): TreeSnapshot {
    return { root: cloneNode(this.root), count: this.count, bytes: this.bytes };
  }

  restore(snapshot: TreeSnapshot): void {
    const s = snapshot as { root: TNode; count: number; bytes: number };
    this.root = cloneNode(s.root);
    this.count = s.count;
    this.bytes = s.bytes;
  }

  commit(): void {
    if (!this.storage) return;
    try {
      // A storage that takes pieces (a device's) gets the text as it is made, and no cache of it is kept:
      // the heap then never holds the whole text. Otherwise, one string with unchanged subtrees reused.
      if (this.storage.writeParts) this.storage.writeParts('tree', treePieces(this.root));
      else this.storage.write('tree', serializeTree(this.root, true));
    } catch (e) {
      throw new DmError('DM_ERR_STORAGE', 510, `tree commit failed: ${errorMessage(e)}`);
    }
  }
}

function view(node: TNode, uri: string): NodeView {
  const v: NodeView = { uri, name: node.name, leaf: node.format !== 'node', format: node.format, size: sizeOf(node.value) };
  if (node.type !== undefined) v.type = node.type;
  if (node.value !== undefined) v.data = node.value;
  if (node.children) v.children = node.children.map((c) => c.name);
  if (node.acl !== undefined) v.acl = node.acl;
  return v;
}

// The walks below keep the nodes still to visit in an array rather than recursing: on XS the call stack is
// a few hundred slots, and a session already stands deep in it when it reaches the tree.

/** Every node of the subtree at `n`, `n` included (order unspecified), until `f` returns true. */
function eachNode(n: TNode, f: (x: TNode) => unknown): boolean {
  const todo: TNode[] = [n];
  while (todo.length) {
    const x = todo.pop()!;
    if (f(x) === true) return true;
    if (x.children) for (const c of x.children) todo.push(c);
  }
  return false;
}

/** How many nodes the subtree at `n` holds, `n` included, and the bytes of their values. */
function measure(n: TNode): { nodes: number; bytes: number } {
  const m = { nodes: 0, bytes: 0 };
  eachNode(n, (x) => {
    m.nodes++;
    m.bytes += sizeOf(x.value);
  });
  return m;
}

export function cloneNode(n: TNode): TNode {
  const copy = (x: TNode): TNode => {
    const c: TNode = { ...x };
    if (x.value instanceof Uint8Array) c.value = x.value.slice();
    return c;
  };
  const root = copy(n);
  const todo: TNode[] = [root];
  while (todo.length) {
    const c = todo.pop()!;
    if (!c.children) continue;
    c.children = c.children.map(copy);
    for (const k of c.children) todo.push(k);
  }
  return root;
}
