// A node as the memory tree (tree.ts) holds it and its stored form (persist-format.ts) writes and reads it.
// Both implementations depend on this shape; neither on the other for it.
import type { Data } from '../syncml/model.js';
import type { NodeFormat } from './types.js';

// Nodes change only through MemoryTree's methods, and a value is never changed in place (it is replaced):
// the commit reuses the JSON of each subtree no method touched.
export interface TNode {
  name: string;
  format: NodeFormat;
  type?: string;
  value?: Data;
  acl?: string;
  title?: string;
  exec?: boolean;
  permanent?: boolean;
  tstamp?: number;
  verNo: number;
  children?: TNode[];
  /**
   * This node and everything below it as a host commit last wrote them (persist-format.ts serializeTree);
   * a change at or below the node clears it. A device commits in pieces and keeps none.
   */
  savedJson?: string | undefined;
  /** An interior node's own fields as that commit wrote them, up to its child list; cleared by a change to the node. */
  savedHead?: string | undefined;
}
