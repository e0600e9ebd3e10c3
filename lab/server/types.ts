// What the lab server's modules share: the records it gives to tests and tools (deployments, outcomes, UI
// answers, deviations, device views), what it keeps of a device, and what a session's phase and the
// commands it sent are. Types only; dm-server.ts re-exports the public ones.
import type { Crypto, Log } from '../../agent/ports.js';
import type { Command } from '../../agent/syncml/model.js';
import type { Catalog, CatalogEntry } from './catalog.js';
import type { Scenario } from './scenario.js';
import type { DeviceAccount } from './auth.js';
import type { DeployPlan, InventoryComponent } from './commands.js';

export interface LabDmServerOptions {
  catalog: Catalog;
  /** The credentials table. */
  devices: DeviceAccount[];
  scenario?: Scenario;
  /** The ServerID devices know this server by (DMAcc ServerID). */
  serverId: string;
  /** Source/LocURI of the server's messages. */
  serverUri: string;
  /** Where packages are served, e.g. http://127.0.0.1:8080/packages (no trailing slash needed). */
  packageBaseUrl: string;
  crypto?: Crypto;
  log?: Log;
  /** Largest device message accepted, announced in the server's SyncHdr Meta (default 65536). */
  maxMsgSize?: number;
  /** For the delay-ms injection; tests may pass a fake. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Entries kept of each history (deployments, outcomes, UI answers, deviations; default 10,000): the
   * newest are kept, and totals() counts them all.
   */
  historyLimit?: number;
  /** Devices kept that have not authenticated yet (default 65,536; see DEFAULT_STRANGER_LIMIT). */
  strangerLimit?: number;
  /** Bytes of last messages and replies kept for retransmissions (default 256 MiB; see DEFAULT_RETAINED_LIMIT). */
  retainedLimit?: number;
}

export interface RequestMeta {
  contentType?: string;
  hmac?: string;
  uri: string;
}

/** The server's answer. `status` is the HTTP status a binding should use (default 200). */
export interface LabReply {
  body: Uint8Array;
  contentType: string;
  hmac?: string;
  status?: number;
}

export type UpdateKind = 'user' | 'device';

/** A SCOMO deployment the server started. */
export interface Deployment {
  devId: string;
  sessionId: string;
  correlator: string;
  componentId: string;
  version: string;
  node: string;
  operation: DeployPlan['operation'];
  /** sent → accepted (Exec 202/200) | refused; then completed | failed once the result alert comes. */
  state: 'sent' | 'accepted' | 'refused' | 'completed' | 'failed';
  execStatus?: number;
  resultCode?: number;
}

/** A SCOMO result alert the server received. */
export interface OperationOutcome {
  devId: string;
  sessionId: string;
  correlator?: string;
  resultCode: number;
  ok: boolean;
  identifier?: string;
  source?: string;
  target?: string;
  /** The deployment it reports on, when the correlator is one this server issued. */
  deployment?: Deployment;
}

export interface UiAnswerRecord {
  devId: string;
  sessionId: string;
  alert: string;
  text: string;
  status: number;
  answer: string[];
}

export interface Deviation {
  devId: string;
  sessionId: string;
  message: string;
}

/** What the server knows of one device. */
export interface DeviceView {
  devId: string;
  account?: string;
  devInfo: Record<string, string>;
  inventory: InventoryComponent[];
  sessions: number;
}

/** What the server keeps of one device across its sessions. */
export interface DeviceRecord {
  devId: string;
  account?: DeviceAccount;
  /** Nonce the device must use for its next credential (issued by this server). */
  clientNonce: Uint8Array;
  /** The one before, which the device still uses when this server's last Chal did not reach it. */
  previousClientNonce?: Uint8Array;
  /** Nonce for this server's credential to the device (issued by the device). */
  serverNonce: Uint8Array;
  devInfo: Record<string, string>;
  inventory: Map<string, InventoryComponent>;
  /** Its latest deployments by Correlator (at most MAX_DEPLOYMENTS_PER_DEVICE), for its result alerts. */
  deployments: Map<string, Deployment>;
  sessions: number;
  /** The device refused `?list=StructData` once: ask it the long way from then on. */
  noTreeExchange?: boolean;
}

/** Where a session is: the diagram at the top of dm-server.ts. */
export type Phase = 'auth' | 'start' | 'inventory-tree' | 'inventory-list' | 'inventory' | 'ui' | 'deploy' | 'done';

/** What a UI alert the server sends is for. */
export type Role = 'checking' | 'upToDate' | 'confirm' | 'choice' | 'postponed' | 'extra' | 'info';

/** What a command the server sent is, for the Status and Results the device answers it with. */
export type Tag =
  | { what: 'get-tree' }
  | { what: 'get-list' }
  | { what: 'get-items' }
  | { what: 'ui'; role: Role; alert: string; text: string; expectStatus?: number }
  | { what: 'add'; deployment: Deployment }
  | { what: 'exec'; deployment: Deployment }
  | { what: 'other' };

/** A command waiting in the outbox, with what it is. */
export interface Queued {
  cmd: Command;
  tag: Tag;
}

/** A catalog version newer than what the device runs in `node`. */
export interface Update {
  node: string;
  current: string;
  entry: CatalogEntry;
}
