// The stored form of the tree: one compact JSON document with a format version, binary values in base64.
// One Storage.write of it is one atomic commit.
import type { TNode } from './tree.js';
import type { NodeFormat } from './types.js';
import { DmError } from '../errors.js';
import { base64Decode, base64Encode } from '../util/bytes.js';

export const TREE_FORMAT_VERSION = 1;

// Node as stored: [name, format, flags, type?, value?, acl?, title?, children?] — short keys keep flash writes small.
interface Stored {
  n: string; f: string; x?: number; t?: string; v?: string; b?: string; a?: string; ti?: string; vn?: number; c?: Stored[];
}

/** The node's own fields as stored; its children are written by serializeNode. */
function storedFields(n: TNode): Stored {
  const s: Stored = { n: n.name, f: n.format };
  const flags = (n.exec ? 1 : 0) | (n.permanent ? 2 : 0);
  if (flags) s.x = flags;
  if (n.type !== undefined) s.t = n.type;
  if (typeof n.value === 'string') s.v = n.value;
  else if (n.value instanceof Uint8Array) s.b = base64Encode(n.value);
  if (n.acl !== undefined) s.a = n.acl;
  if (n.title !== undefined) s.ti = n.title;
  if (n.verNo) s.vn = n.verNo;
  return s;
}

/**
 * One node as JSON, its children last under "c", appended to `out`. The nodes still to write are kept in an
 * array, not in frames of the device's small call stack.
 */
function serializeNode(root: TNode, out: string[]): void {
  // A node to write (after a comma when it is not its parent's first child), or the end of a child list.
  const todo: ({ n: TNode; comma: boolean } | 'close')[] = [{ n: root, comma: false }];
  while (todo.length) {
    const t = todo.pop()!;
    if (t === 'close') { out.push(']}'); continue; }
    if (t.comma) out.push(',');
    const json = JSON.stringify(storedFields(t.n));
    const kids = t.n.children;
    if (!kids) { out.push(json); continue; }
    out.push(json.slice(0, -1), ',"c":[');
    todo.push('close');
    for (let k = kids.length - 1; k >= 0; k--) todo.push({ n: kids[k]!, comma: k > 0 });
  }
}

function fromStoredNode(s: Stored): TNode {
  if (typeof s !== 'object' || s === null || typeof s.n !== 'string' || typeof s.f !== 'string') {
    throw new DmError('DM_ERR_STORAGE', 510, 'stored tree: malformed node');
  }
  const n: TNode = { name: s.n, format: s.f as NodeFormat, verNo: typeof s.vn === 'number' ? s.vn : 0 };
  if (s.x !== undefined) { if (s.x & 1) n.exec = true; if (s.x & 2) n.permanent = true; }
  if (s.t !== undefined) n.type = s.t;
  if (s.v !== undefined) n.value = s.v;
  if (s.b !== undefined) n.value = base64Decode(s.b);
  if (s.a !== undefined) n.acl = s.a;
  if (s.ti !== undefined) n.title = s.ti;
  return n;
}

/** The tree a stored document holds, at most 32 levels deep; read without recursion, as serializeNode writes. */
function fromStored(root: Stored): TNode {
  const top = fromStoredNode(root);
  const todo: [Stored, TNode, number][] = [[root, top, 0]];
  while (todo.length) {
    const [s, n, depth] = todo.pop()!;
    if (s.f !== 'node') continue;
    const kids = Array.isArray(s.c) ? s.c : [];
    if (kids.length && depth >= 32) throw new DmError('DM_ERR_STORAGE', 510, 'stored tree: malformed node');
    n.children = kids.map((c) => fromStoredNode(c));
    for (let k = 0; k < kids.length; k++) todo.push([kids[k]!, n.children[k]!, depth + 1]);
  }
  return top;
}

/**
 * The stored document. A commit rewrites the whole tree but an update touches one branch, so with `cache`
 * (kept by the tree, which forgets every node on the path of a change) the top-level branches (./DevInfo,
 * ./DMAcc, ./SCOMO, ...) that did not change are reused as written last time. Only that level is kept: the
 * cache then holds about one tree's worth of text (2.9 kB for the example device), where caching every level
 * would hold 10.5 kB on a device whose strings are flat, for about 9% more fleet sessions per second on the host.
 */
export function serializeTree(root: TNode, cache?: WeakMap<TNode, string>): string {
  const top = JSON.stringify(storedFields(root));
  if (!root.children) return '{"v":' + TREE_FORMAT_VERSION + ',"root":' + top + '}';
  // Joined once, not concatenated: an engine that builds a chain of concatenations (V8) then holds one flat
  // text instead of a cell per piece.
  const doc = ['{"v":' + TREE_FORMAT_VERSION + ',"root":' + top.slice(0, -1) + ',"c":['];
  for (let k = 0; k < root.children.length; k++) {
    const branch = root.children[k]!;
    let json = cache?.get(branch);
    if (json === undefined) {
      const parts: string[] = [];
      serializeNode(branch, parts);
      json = parts.join('');
      cache?.set(branch, json);
    }
    if (k) doc.push(',');
    doc.push(json);
  }
  doc.push(']}}');
  return doc.join('');
}

/**
 * The text serializeTree makes, as pieces of about `pieceSize` characters, made as they are asked for: the
 * nodes still to write are the only other state, so the whole text never exists at once.
 */
export function treePieces(root: TNode, pieceSize = 1024): () => string | undefined {
  const top = JSON.stringify(storedFields(root));
  if (!root.children) {
    let done = false;
    return () => { if (done) return undefined; done = true; return '{"v":' + TREE_FORMAT_VERSION + ',"root":' + top + '}'; };
  }
  // As serializeNode, with the root's children as the first level and the document's end after them.
  const todo: ({ n: TNode; comma: boolean } | 'close' | 'end')[] = ['end'];
  for (let k = root.children.length - 1; k >= 0; k--) todo.push({ n: root.children[k]!, comma: k > 0 });
  let head: string | undefined = '{"v":' + TREE_FORMAT_VERSION + ',"root":' + top.slice(0, -1) + ',"c":[';
  return () => {
    if (head === undefined && todo.length === 0) return undefined;
    let piece = head ?? '';
    head = undefined;
    while (todo.length && piece.length < pieceSize) {
      const t = todo.pop()!;
      if (t === 'end') { piece += ']}}'; continue; }
      if (t === 'close') { piece += ']}'; continue; }
      if (t.comma) piece += ',';
      const json = JSON.stringify(storedFields(t.n));
      const kids = t.n.children;
      if (!kids) { piece += json; continue; }
      piece += json.slice(0, -1) + ',"c":[';
      todo.push('close');
      for (let k = kids.length - 1; k >= 0; k--) todo.push({ n: kids[k]!, comma: k > 0 });
    }
    return piece;
  };
}

export function deserializeTree(text: string): TNode {
  let doc: { v?: unknown; root?: Stored };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new DmError('DM_ERR_STORAGE', 510, 'stored tree is not valid JSON');
  }
  if (doc.v !== TREE_FORMAT_VERSION) throw new DmError('DM_ERR_STORAGE', 510, `stored tree has format version ${String(doc.v)}, expected ${TREE_FORMAT_VERSION}`);
  if (!doc.root) throw new DmError('DM_ERR_STORAGE', 510, 'stored tree has no root');
  const root = fromStored(doc.root);
  if (root.format !== 'node') throw new DmError('DM_ERR_STORAGE', 510, 'stored tree root is not an interior node');
  return root;
}
