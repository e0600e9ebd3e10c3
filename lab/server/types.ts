// What the lab server's modules share: the records it gives to tests and tools (deployments, outcomes, UI
// answers, deviations, device views), what it keeps of a device and of a session, and the context every
// module works in. Types only; dm-server.ts re-exports the public ones.
import type { Crypto, Log, LogLevel } from '../../agent/ports.js';
import type { Command } from '../../agent/syncml/model.js';
import type { Encoding } from '../../agent/syncml/codec.js';
import type { UserPassHashes } from '../../agent/session/auth.js';
import type { Catalog, CatalogEntry } from './catalog.js';
import type { FailurePlan, Scenario } from './scenario.js';
import type { DeviceAccount } from './auth.js';
import type { DeployPlan, InventoryComponent } from './commands.js';
import type { History } from './history.js';

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
  /** Devices kept that have not authenticated yet (default 65,536; see DEFAULT_STRANGER_LIMIT in devices.ts). */
  strangerLimit?: number;
  /** Bytes of last messages and replies kept for retransmissions (default 256 MiB; see session-store.ts). */
  retainedLimit?: number;
  /**
   * Strict mode: what the server otherwise takes with a deviation because its intent is clear (a SyncML DS
   * media type) is refused instead. Off by default: a lab server is liberal in what it accepts, and loud.
   */
  strict?: boolean;
  /** Who watches the messages, replies and deviations (the lab console, lab/console/). */
  observer?: LabObserver;
  /** The injected failures, in place of the scenario's own plan (the console's adds failures queued per device). */
  failures?: FailurePlan;
}

/**
 * What the server tells an observer (the lab console): each device message once matched to its session, each
 * answer (undefined: the reply is dropped, an injected lost reply), each deviation. `processing` comes before
 * the server acts for a device's session, so that a failure plan can tell which device its failures are for.
 * An observer must not throw and must not keep the session state past the call.
 */
export interface LabObserver {
  processing(devId: string, sessionNo: number): void;
  deviceMessage(st: Readonly<SessionState>, body: Uint8Array, meta: RequestMeta): void;
  serverMessage(st: Readonly<SessionState>, reply: LabReply | undefined, retransmission: boolean): void;
  deviation(d: Deviation): void;
  /** A message refused before it matched a session (400, 413, 415): no SyncML reply, only the HTTP status and why. */
  refused?(r: RefusedMessage): void;
}

/** A device message refused before it matched a session: what came (at most the bytes read), and the answer. */
export interface RefusedMessage {
  status: number;
  reason: string;
  body: Uint8Array;
  meta: RequestMeta;
  /** The body was longer than `body` (413: only what was read is kept). */
  truncated?: boolean;
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
  operation: DeployPlan['operation'] | 'DownloadAndUpdate';
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

/** What the server keeps of one device across its sessions (devices.ts bounds it). */
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
  | { what: 'get-firmware' }
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

export interface UpdateRequest {
  kind: UpdateKind;
  /** The components it names (./SCOMO/Inventory/Deployed/<x>). */
  uris: string[];
  /** One of its alerts named none: the whole inventory. */
  all: boolean;
}

/** How the device and this server authenticated to each other in the session (session-auth.ts). */
export interface SessionAuth {
  /** The device authenticated in this session. */
  authed: boolean;
  /** Challenges sent to the device in this session. */
  failures: number;
  /** The device accepted the server's credential (212, or 200 under HMAC). */
  serverAccepted: boolean;
  /** Times the device refused the server's credential in this session. */
  serverRetries: number;
  /** MsgID of the last server message whose credential the device refused: its commands are re-sent. */
  refusedMsgRef?: string;
}

/** The server's side of the message exchange: what it sends, and what waits for the device's answer (reply.ts). */
export interface Exchange {
  /** The encoding of the device's last message, which the reply uses. */
  encoding: Encoding;
  /** MsgID of the server's last message. */
  msgId: number;
  /** The device's MaxMsgSize (0: none announced). */
  maxMsgSize: number;
  /** Server commands waiting for room in a message (the device asks for them with Alert 1222). */
  outbox: Queued[];
  /** Commands of the last server message, re-sent when the device refuses the server's credential. */
  lastCommands: Queued[];
  /** Commands sent and not answered yet, by `MsgRef:CmdRef` (and `…#results` for a Get's Results). */
  sent: Map<string, Tag>;
  /** Commands already answered: a command with several items may get one Status per distinct result. */
  answered: Map<string, Tag>;
}

/** What the current investigation of the device's inventory found (update-flow.ts; handlers.ts fills it). */
export interface Investigation {
  inventory: Map<string, InventoryComponent>;
  /** The children of ./SCOMO/Inventory/Deployed, once its Get has its Results. */
  listNodes?: string[];
  /** Status of the `?list=StructData` Get when it was not 200. */
  treeRefused?: number;
  /** Why a Get of the list or of the leaves failed. */
  getFailed?: string;
  /** What the firmware Get read (firmware.ts), or that the device refused it (no FUMO). */
  firmware?: { version?: string; state?: string; refused?: number };
  /** `?list=` Gets whose Results have begun: more may follow for the same Get. */
  treeResults: Map<string, Tag>;
}

/** The update request of the session and how far it went (update-flow.ts). */
export interface UpdateFlow {
  request?: UpdateRequest;
  /** `request` came after the last investigation began: the next one investigates it. */
  requestFresh: boolean;
  found: Investigation;
  updates: Update[];
  /** The updates the user consented to, once the confirm or choice alert is answered. */
  consent?: Update[];
}

/** One DM session: the session loop (dm-server.ts) owns the first fields, one module each of the sub-records. */
export interface SessionState {
  readonly sessionId: string;
  readonly device: DeviceRecord;
  phase: Phase;
  /** The last reply ended the session: Final and no command (reply.ts decides). */
  ended: boolean;
  /**
   * Strict mode: the session broke a rule ('due'), so the next reply aborts it with Alert 1223 ('sent');
   * without strict mode a deviation is logged and the session goes on.
   */
  strictAbort?: 'due' | 'sent';
  /** MsgID of the device's last message processed. */
  deviceMsgId?: number;
  /** The device used a SyncML DS media type in this session, and the deviation was recorded (once). */
  dsMediaType?: boolean;
  /** That message and its reply, so that a retransmission gets the same reply (session-store.ts bounds them). */
  copy?: { body: Uint8Array; reply: LabReply };
  auth: SessionAuth;
  out: Exchange;
  flow: UpdateFlow;
}

/** The histories the server keeps (the newest historyLimit of each) and the counts that outlive them. */
export interface Histories {
  readonly deployments: History<Deployment>;
  readonly outcomes: History<OperationOutcome>;
  readonly uiAnswers: History<UiAnswerRecord>;
  readonly deviations: History<Deviation>;
  /** Result alerts received again for an outcome already recorded. */
  duplicateResults: number;
  /** Outcomes that reported a success. */
  succeeded: number;
}

/** What the server's modules work with: the settings, the scenario, the histories, the log. */
export interface ServerContext {
  readonly catalog: Catalog;
  /** SyncHdr Source of the server's messages, and the Target devices must use (LabDmServer.useServerUri). */
  serverUri: string;
  /** Where PkgURLs point (LabDmServer.usePackageBaseUrl). */
  packageBaseUrl: string;
  /** Largest device message accepted, announced in the server's first message of a session. */
  readonly maxMsgSize: number;
  readonly crypto: Crypto;
  /** The hashes of the accounts' "user:pass" (most recent 256), for the digests of every session. */
  readonly hashes: UserPassHashes;
  readonly scenario: Scenario;
  readonly failures: FailurePlan;
  readonly histories: Histories;
  /** Strict mode (LabDmServerOptions.strict). */
  readonly strict: boolean;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /** Records a protocol deviation of the session's device and logs it. */
  deviate(st: SessionState, message: string): void;
}
