// The stored form of the tree: one compact JSON document with a format version, binary values in base64.
// One Storage.write of it is one atomic commit.
import type { TNode } from './node.js';
import type { NodeFormat } from './types.js';
import { DmError } from '../errors.js';
import { base64Decode, base64Encode } from '../util/bytes.js';

export const TREE_FORMAT_VERSION = 1;

// Node as stored: [name, format, flags, type?, value?, acl?, title?, children?] — short keys keep flash writes small.
interface Stored {
  n: string;
  f: string;
  x?: number;
  t?: string;
  v?: string;
  b?: string;
  a?: string;
  ti?: string;
  vn?: number;
  c?: Stored[];
}

/** The node's own fields as stored; its children are written by writeNext. */
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

/** What is left to write: a node (after a comma unless it is its parent's first child), a child list's end, the document's end. */
type Todo = ({ n: TNode; comma: boolean } | 'close' | 'end')[];

/**
 * Writes the next thing `todo` holds through `emit`: a node as JSON, its children then queued to come last
 * under "c". The nodes still to write are kept in the array, not in frames of the device's small call stack.
 */
function writeNext(todo: Todo, emit: (text: string) => void): void {
  const t = todo.pop()!;
  if (t === 'end') {
    emit(']}}');
    return;
  }
  if (t === 'close') {
    emit(']}');
    return;
  }
  if (t.comma) emit(',');
  const json = JSON.stringify(storedFields(t.n));
  const kids = t.n.children;
  if (!kids) {
    emit(json);
    return;
  }
  emit(`${json.slice(0, -1)},"c":[`);
  todo.push('close');
  for (let k = kids.length - 1; k >= 0; k--) todo.push({ n: kids[k]!, comma: k > 0 });
}

/** The document up to its root's first child, for a root that has a child list. */
function documentHead(top: string): string {
  return `{"v":${TREE_FORMAT_VERSION},"root":${top.slice(0, -1)},"c":[`;
}

function fromStoredNode(s: Stored): TNode {
  if (typeof s !== 'object' || s === null || typeof s.n !== 'string' || typeof s.f !== 'string') {
    throw new DmError('DM_ERR_STORAGE', 510, 'stored tree: malformed node');
  }
  const n: TNode = { name: s.n, format: s.f as NodeFormat, verNo: typeof s.vn === 'number' ? s.vn : 0 };
  if (s.x !== undefined) {
    if (s.x & 1) n.exec = true;
    if (s.x & 2) n.permanent = true;
  }
  if (s.t !== undefined) n.type = s.t;
  if (s.v !== undefined) n.value = s.v;
  if (s.b !== undefined) n.value = base64Decode(s.b);
  if (s.a !== undefined) n.acl = s.a;
  if (s.ti !== undefined) n.title = s.ti;
  return n;
}

/** The tree a stored document holds, at most 32 levels deep; read without recursion, as writeNext writes. */
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
 * The stored document. A commit rewrites the whole tree but a change touches one path, so with `reuse` each
 * node keeps the text of its subtree (`TNode.savedJson`) and the tree forgets it for every node on the path of a
 * change: a commit then writes the fields of those few nodes again and reuses the rest. The text is built by
 * concatenation, which an engine with rope strings (V8) keeps as cells pointing at the children's texts, so
 * the cache holds about one tree's worth of text plus a cell per piece, not a copy per level. A device
 * commits through Storage.writeParts (treePieces), which keeps nothing.
 */
export function serializeTree(root: TNode, reuse = false): string {
  return `{"v":${TREE_FORMAT_VERSION},"root":${subtreeText(root, reuse)}}`;
}

/** The JSON of `top` and everything below it, walked without recursion as writeNext does. */
function subtreeText(top: TNode, reuse: boolean): string {
  const open: TNode[] = [];
  const next: number[] = [];
  const texts: string[] = [];
  let n: TNode | undefined = top;
  for (;;) {
    let done: string | undefined;
    if (n) {
      done = reuse ? n.savedJson : undefined;
      if (done === undefined) {
        if (n.children) {
          // An interior node on a change's path mostly kept its own fields: they are written again only when
          // the change was to the node itself (the tree then clears `head` as well).
          let head = reuse ? n.savedHead : undefined;
          if (head === undefined) {
            head = `${JSON.stringify(storedFields(n)).slice(0, -1)},"c":[`;
            if (reuse) n.savedHead = head;
          }
          open.push(n);
          next.push(0);
          texts.push(head);
        } else {
          done = JSON.stringify(storedFields(n));
          if (reuse) n.savedJson = done;
        }
      }
      n = undefined;
    }
    const t = open.length - 1;
    if (done !== undefined) {
      if (t < 0) return done;
      texts[t] += next[t]! > 1 ? `,${done}` : done;
    }
    const parent = open[t]!;
    const k = next[t]!;
    if (k < parent.children!.length) {
      next[t] = k + 1;
      n = parent.children![k]!;
      continue;
    }
    const text = `${texts[t]}]}`;
    if (reuse) parent.savedJson = text;
    open.pop();
    next.pop();
    texts.pop();
    if (t === 0) return text;
    texts[t - 1] += next[t - 1]! > 1 ? `,${text}` : text;
  }
}

/**
 * The text serializeTree makes, as pieces of about `pieceSize` characters, made as they are asked for: the
 * nodes still to write are the only other state, so the whole text never exists at once.
 */
export function treePieces(root: TNode, pieceSize = 1024): () => string | undefined {
  const top = JSON.stringify(storedFields(root));
  if (!root.children) {
    let done = false;
    return () => {
      if (done) return undefined;
      done = true;
      return `{"v":${TREE_FORMAT_VERSION},"root":${top}}`;
    };
  }
  // The root's children as the first level, the document's end after them.
  const todo: Todo = ['end'];
  for (let k = root.children.length - 1; k >= 0; k--) todo.push({ n: root.children[k]!, comma: k > 0 });
  let head: string | undefined = documentHead(top);
  return () => {
    if (head === undefined && todo.length === 0) return undefined;
    let piece = head ?? '';
    head = undefined;
    const emit = (text: string) => {
      piece += text;
    };
    while (todo.length && piece.length < pieceSize) writeNext(todo, emit);
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
  if (doc.v !== TREE_FORMAT_VERSION)
    throw new DmError('DM_ERR_STORAGE', 510, `stored tree has format version ${String(doc.v)}, expected ${TREE_FORMAT_VERSION}`);
  if (!doc.root) throw new DmError('DM_ERR_STORAGE', 510, 'stored tree has no root');
  const root = fromStored(doc.root);
  if (root.format !== 'node') throw new DmError('DM_ERR_STORAGE', 510, 'stored tree root is not an interior node');
  return root;
}
