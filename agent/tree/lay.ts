// Laying out a management object as the device itself (first boot, a deployed component): one node, or a
// node's children from a table. The leaves are data, and as data they take far fewer bytes of the device's
// flash than a call per leaf does.
import type { DmTree, NodeFormat } from './types.js';
import { DEVICE } from './types.js';

/** A child in a table: [name] is an interior node, [name, value] a chr leaf, [name, value, format] a leaf of that format. */
export type Child = [string] | [string, string] | [string, string, NodeFormat];

/** Adds one node as the device (no ACL check); `type` is the MO's type URN for an MO root. */
export function putNode(tree: DmTree, uri: string, format: NodeFormat, data?: string | Uint8Array, type?: string): void {
  tree.add(uri, { format, data, type }, DEVICE);
}

/**
 * Adds the children of `base` in the table's order (a name may be a path below `base`). Indexed, not
 * destructured: on XS a destructuring for-of runs the iterator protocol for every entry.
 */
export function putChildren(tree: DmTree, base: string, children: Child[]): void {
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    tree.add(`${base}/${c[0]}`, { format: c.length === 1 ? 'node' : (c[2] ?? 'chr'), data: c[1] }, DEVICE);
  }
}
