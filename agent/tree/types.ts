// Contract of the DM tree. The implementation lives beside this file; the session, the SCOMO handlers and
// the platforms depend only on these types. This file imports nothing of the tree's implementation.
import type { Data } from '../syncml/model.js';

export type NodeFormat = 'chr' | 'int' | 'bool' | 'bin' | 'b64' | 'node' | 'null' | 'xml' | 'date' | 'time' | 'float';
export type AclCommand = 'Add' | 'Delete' | 'Exec' | 'Get' | 'Replace';

/**
 * Who acts on the tree: a DM server ID (ACLs apply) or the device itself (DEVICE: no ACL check, used by
 * the agent's own code, the seed and the SCOMO handlers).
 */
export type Principal = string;
export const DEVICE: Principal = '\u0000device';

export interface NodeValue {
  format: NodeFormat;
  type?: string; // MIME type or DDF name
  data?: Data; // leaf value; absent for interior nodes
}

export interface NodeView {
  uri: string; // normalised absolute URI, './A/B'
  name: string;
  leaf: boolean;
  format: NodeFormat;
  type?: string;
  size: number; // bytes of the value (leaf), 0 for interior
  data?: Data; // leaf value (decoded per format: string for chr/int/bool/..., Uint8Array for bin)
  children?: string[]; // child names for interior nodes, in insertion order
  acl?: string; // the node's own ACL string, absent when inherited
}

/** Node properties reachable with ?prop= (DM TND). */
export type NodeProperty = 'ACL' | 'Format' | 'Type' | 'Size' | 'Name' | 'Title' | 'TStamp' | 'VerNo';

/** Sizes a tree refuses beyond (DEFAULT_TREE_LIMITS in tree.ts). */
export interface TreeLimits {
  maxNodes: number;
  maxValueBytes: number;
  /** All leaf values together (a device's heap holds the whole tree: 420 when a change would pass it). */
  maxTreeValueBytes: number;
  maxUriLength: number;
  maxDepth: number;
  maxSegmentLength: number;
}

/** Opaque saved state for Atomic roll back. */
export type TreeSnapshot = unknown;

/**
 * Every mutating or reading call checks the ACL for `principal` (unless DEVICE) and throws DmError:
 * 404 unknown node, 425 ACL forbids, 405 not allowed on that node (e.g. Delete of a permanent node or of
 * '.', Add under a leaf, Replace of an interior node's value), 418 Add of an existing node,
 * 415 value does not fit the Format, 414 URI too long, 400 malformed URI, 420 tree full.
 */
export interface DmTree {
  /** Sizes the tree refuses beyond (a value over maxValueBytes is 413). */
  readonly limits: Readonly<TreeLimits>;
  exists(uri: string): boolean;
  get(uri: string, principal: Principal): NodeView;
  getProperty(uri: string, prop: NodeProperty, principal: Principal): string;
  /**
   * The node and every node below it that `principal` may Get, parent before children (DM TND tree exchange,
   * `?list=Struct|StructData`): 425 if the node itself is not readable, 413 past `max` nodes.
   */
  list(uri: string, principal: Principal, max: number): NodeView[];
  add(uri: string, value: NodeValue, principal: Principal): void;
  replace(uri: string, value: Partial<NodeValue> & { data?: Data }, principal: Principal): void;
  replaceProperty(uri: string, prop: 'ACL' | 'Name' | 'Title', value: string, principal: Principal): void;
  delete(uri: string, principal: Principal): void;
  copy(targetUri: string, sourceUri: string, principal: Principal): void;
  /** Throws unless `principal` may Exec `uri` (404 / 425 / 405 for a non-executable node). */
  checkExec(uri: string, principal: Principal): void;
  /** Marks a node executable (Operations/* leaves) and/or permanent (device-owned, not deletable). */
  setFlags(uri: string, flags: { exec?: boolean; permanent?: boolean }): void;
  /** Sets a node's ACL as the device, unchecked (undefined: the node inherits); servers use replaceProperty. */
  setAcl(uri: string, acl: string | undefined): void;
  /**
   * Runs fn(uri) after every Add of a node matching pattern ('*' = one segment): device behaviour of an MO that
   * grows its own children, as SCOMO's Download/<x>/Operations.
   */
  onAdd(pattern: string, fn: (uri: string) => void): void;
  snapshot(): TreeSnapshot;
  restore(snapshot: TreeSnapshot): void;
  /** Writes the whole tree through the Storage port as one atomic replacement. */
  commit(): void;
}

/** Application authentication settings of a DM account (DMAcc AppAuth, one level). */
export interface AuthSettings {
  type: 'NONE' | 'BASIC' | 'DIGEST' | 'HMAC';
  name: string;
  secret: string;
  /** Nonce for the next credential (raw bytes; base64 on the wire). */
  nonce: Uint8Array;
}

/** What the session needs of ./DMAcc/<x>. */
export interface DmAccount {
  path: string; // './DMAcc/lab'
  serverId: string;
  serverUri: string;
  name?: string;
  /** How the client authenticates to the server (AAuthLevel CLCRED). */
  client: AuthSettings;
  /** How the server must authenticate to the client (AAuthLevel SRVCRED); type NONE = not checked. */
  server: AuthSettings;
}
