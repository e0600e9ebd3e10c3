// The device agent: boots the persistent state (tree, alert queue, SCOMO journal), turns triggers into
// queued Generic Alerts, and runs client-initiated sessions over whatever Transport the platform gives.
// It owns the loop the sans-I/O Session leaves to its caller.
import type { Button, Clock, Crypto, Display, Downloader, FirmwareSlots, Installer, Log, Storage, Transport, Utf8 } from './ports.js';
import type { UiResponder } from './session/types.js';
import type { DeviceDescription } from './description/description.js';
import type { Encoding } from './syncml/codec.js';
import type { GenericAlert } from './alerts/types.js';
import type { DmTree } from './tree/types.js';
import { Session } from './session/session.js';
import { ExecRegistry } from './session/types.js';
import { AlertQueue } from './alerts/queue.js';
import { buildUpdateRequest, type UpdateTrigger } from './scomo/update-request.js';
import { openTree } from './description/open-tree.js';
import type { TreeLimits } from './tree/types.js';
import { readAccount, writeNonce } from './tree/dmacc.js';
import { DmError, asDmError, errorMessage } from './errors.js';
import { UserInteraction } from './ui/interaction.js';
import { UpdateButton } from './triggers/button.js';
import { CheckSchedule, planScheduleOptions } from './triggers/schedule.js';
import { TriggerController } from './triggers/controller.js';
import { listDeployed } from './scomo/subtree.js';
import { ScomoManager } from './scomo/operations.js';
import { FumoManager } from './fumo/manager.js';
import { withDefined } from './util/options.js';

export interface AgentPorts {
  storage: Storage;
  clock: Clock;
  crypto: Crypto;
  transport: Transport;
  display?: Display;
  button?: Button;
  downloader?: Downloader;
  installer?: Installer;
  /** The A/B firmware slots: with them the device updates its firmware (FUMO, agent/fumo/). */
  firmware?: FirmwareSlots;
  log?: Log;
  /** Native UTF-8 for whole messages; without it the core converts in JavaScript. */
  utf8?: Utf8;
}

export interface AgentOptions {
  encoding?: Encoding;
  /** Largest message the device accepts (announced to the server). */
  maxMsgSize?: number;
  /** What the tree may hold (nodes, bytes): a device sizes it to its heap. Default DEFAULT_TREE_LIMITS. */
  treeLimits?: Partial<TreeLimits>;
  /** Most nodes a `?list=` answer may hold (413 beyond; default 256): each is in the heap until sent. */
  maxListNodes?: number;
  /** Renders server UI alerts (agent/ui); absent = no display (406). */
  ui?: UiResponder;
  /** Work accepted during a session (Exec 202) runs here, before the follow-up session reports it. */
  afterSession?: () => Promise<void>;
  /** Largest SCOMO package the device can store and install (ScomoManagerOptions.maxPackageBytes). */
  maxPackageBytes?: number;
  /** The device maker's health check of a new firmware (FumoManagerOptions.healthCheck); default: its first good session. */
  firmwareHealthCheck?: () => boolean | Promise<boolean>;
}

export interface SessionReport {
  ok: boolean;
  error?: { code: string; status: number; message: string };
  /** Sessions run: 1, or 2 when SCOMO results were reported in a follow-up session. */
  sessions: number;
  roundTrips: number;
  bytesSent: number;
  bytesReceived: number;
  acknowledged: string[];
}

export class DmAgent {
  declare readonly tree: DmTree;
  declare readonly queue: AlertQueue;
  /** Renders server UI alerts; absent = the device has no UI (406 to UI alerts). */
  declare ui?: UiResponder;
  /**
   * Told when runSession ends, whatever started it (button, schedule, server notification) and however it
   * ended: resolved with its report, or rejected (then with a failed report built from the error). The
   * device app draws the outcome from here.
   */
  declare onSessionEnd?: (report: SessionReport) => void;
  private readonly exec = new ExecRegistry();
  /** SCOMO operations, when the platform gives a Downloader and an Installer. */
  declare readonly scomo?: ScomoManager;
  /** FUMO, when the platform gives firmware slots. */
  declare readonly fumo?: FumoManager;
  declare private button?: UpdateButton;
  declare private schedule?: CheckSchedule;
  /** The id of this agent's last session: the next one must differ ("unique per client", and a server keys its
   * sessions by device and id, so a repeat reads as a stale message of an ended session). */
  private lastSessionId = 0;

  declare readonly desc: DeviceDescription;
  declare readonly ports: AgentPorts;
  declare readonly options: AgentOptions;

  private constructor(desc: DeviceDescription, ports: AgentPorts, options: AgentOptions, tree: DmTree) {
    this.desc = desc;
    this.ports = ports;
    this.options = options;
    this.tree = tree;
    this.queue = new AlertQueue(ports.storage, ports.log ? { log: ports.log } : {});
    if (ports.downloader && ports.installer) {
      this.scomo = new ScomoManager(
        withDefined(
          {
            tree,
            storage: ports.storage,
            downloader: ports.downloader,
            installer: ports.installer,
            crypto: ports.crypto,
            clock: ports.clock,
            queue: this.queue,
            onProgress: (_node: string, done: number, total: number) =>
              this.ui instanceof UserInteraction ? this.ui.showProgress('Downloading update', done, total) : undefined,
          },
          { log: ports.log, maxPackageBytes: options.maxPackageBytes },
        ),
      );
      this.scomo.register(this.exec);
    }
    if (ports.firmware) {
      const ui = () => (this.ui instanceof UserInteraction ? this.ui : undefined);
      this.fumo = new FumoManager(
        withDefined(
          {
            tree,
            storage: ports.storage,
            slots: ports.firmware,
            crypto: ports.crypto,
            clock: ports.clock,
            queue: this.queue,
            firmwareName: desc.devInfo.mod,
            onProgress: (done: number, total: number) => ui()?.showProgress('Downloading firmware', done, total),
            onRestart: (from: string, to: string) => ui()?.showMessage('Restarting…', `Firmware ${from} → ${to}`),
            onResult: (ok: boolean, from: string, to: string) =>
              ui()?.showMessage(ok ? 'Firmware updated' : 'Firmware not updated', ok ? `${from} → ${to}` : `${to} failed; ${from} runs`),
          },
          { log: ports.log, healthCheck: options.firmwareHealthCheck },
        ),
      );
      this.fumo.register(this.exec);
    }
    if (options.ui) this.ui = options.ui;
    else if (ports.display) {
      this.ui = new UserInteraction(withDefined({ display: ports.display, clock: ports.clock }, { log: ports.log }));
    }
  }

  /** Opens (or seeds, on first boot) the persistent state and finishes any SCOMO work a power cut interrupted. */
  static async boot(desc: DeviceDescription, ports: AgentPorts, options: AgentOptions = {}): Promise<DmAgent> {
    const { tree } = openTree(ports.storage, desc, options.treeLimits ? { limits: options.treeLimits } : {});
    const agent = new DmAgent(desc, ports, options, tree);
    await agent.scomo?.recover();
    await agent.fumo?.recover();
    return agent;
  }

  /** Queues a client-initiated update request; throws DM_ERR_UNKNOWN_COMPONENT (nothing queued) for a bad component. */
  requestUpdate(trigger: UpdateTrigger, component?: string, vendorData = ''): GenericAlert {
    return this.queue.enqueue(buildUpdateRequest(this.tree, trigger, component, vendorData));
  }

  /**
   * Runs one client-initiated session carrying every pending alert; then the SCOMO work the server
   * accepted (Exec 202), then a follow-up session that reports its results.
   */
  async runSession(): Promise<SessionReport> {
    let report: SessionReport;
    try {
      report = await this.sessions();
    } catch (e) {
      const error = asDmError(e);
      this.endOfSession({
        ok: false,
        error: { code: error.code, status: error.status, message: error.message },
        sessions: 0,
        roundTrips: 0,
        bytesSent: 0,
        bytesReceived: 0,
        acknowledged: [],
      });
      throw e;
    }
    this.endOfSession(report);
    return report;
  }

  private endOfSession(report: SessionReport): void {
    try {
      this.onSessionEnd?.(report);
    } catch (e) {
      this.ports.log?.log('warn', `onSessionEnd failed: ${errorMessage(e)}`);
    }
  }

  private async sessions(): Promise<SessionReport> {
    const first = await this.oneSession();
    const report: SessionReport = { ...first, sessions: 1 };
    // A trial firmware's first good session confirms it: its result then goes in a follow-up session.
    const confirmed = this.fumo?.afterSession(first.ok) === true;
    if (!first.ok || (first.execAccepted === 0 && !confirmed)) return report;
    await this.scomo?.runPending();
    await this.fumo?.runPending();
    await this.options.afterSession?.();
    // Restarted into new firmware (on the Node device, a simulated restart): that firmware reports.
    if (this.fumo?.restarted || this.queue.pending().length === 0) return report;
    const second = await this.oneSession();
    report.sessions = 2;
    report.ok = second.ok;
    if (second.error) report.error = second.error;
    report.roundTrips += second.roundTrips;
    report.bytesSent += second.bytesSent;
    report.bytesReceived += second.bytesReceived;
    for (const id of second.acknowledged) report.acknowledged.push(id);
    return report;
  }

  private async oneSession(): Promise<Omit<SessionReport, 'sessions'> & { execAccepted: number }> {
    const account = readAccount(this.tree);
    const { tree, ports } = this;
    const session = new Session(
      withDefined(
        {
          tree,
          account,
          devId: this.desc.devInfo.devId,
          crypto: ports.crypto,
          encoding: this.options.encoding ?? this.desc.transport?.encoding ?? 'xml',
          sessionId: this.newSessionId(),
          alerts: this.queue.pending(),
          exec: this.exec,
          saveNonce: (which: 'client' | 'server', nonce: Uint8Array) => writeNonce(tree, account, which, nonce),
        },
        {
          utf8: ports.utf8,
          ui: this.ui,
          log: ports.log,
          maxMsgSize: this.options.maxMsgSize || undefined,
          maxListNodes: this.options.maxListNodes || undefined,
          maxSendSize: ports.transport.maxMessageBytes || undefined,
        },
      ),
    );
    let roundTrips = 0;
    for (let out = session.nextMessage(); out; out = session.nextMessage()) {
      let reply;
      try {
        reply = await ports.transport.exchange(out);
      } catch (e) {
        const msg = errorMessage(e);
        session.fail(new DmError('DM_ERR_TRANSPORT', 503, `no reply from ${ports.transport.endpoint ?? out.uri}: ${msg}`));
        break;
      }
      roundTrips++;
      await session.receive(reply);
    }
    session.close();
    const o = session.outcome;
    // Accepted alerts leave the queue now; refused-for-good ones too (re-sending cannot help), with a warning.
    if (o.rejected.length) ports.log?.log('warn', 'server refused alerts for good; dropped from the queue', { ids: o.rejected });
    this.queue.ack([...o.acknowledged, ...o.rejected]);
    const r: Omit<SessionReport, 'sessions'> & { execAccepted: number } = {
      ok: o.ok,
      roundTrips,
      bytesSent: o.bytesSent,
      bytesReceived: o.bytesReceived,
      acknowledged: o.acknowledged,
      execAccepted: o.execAccepted,
    };
    if (o.error) r.error = { code: o.error.code, status: o.error.status, message: o.error.message };
    ports.log?.log(o.ok ? 'info' : 'warn', `session ${o.state}`, { roundTrips, sent: o.bytesSent, received: o.bytesReceived });
    return r;
  }

  /** Client session ids: 1 to 4 upper-case hex digits, no leading zero (as DM Notification's form). */
  private newSessionId(): string {
    const b = this.ports.crypto.randomBytes(2);
    let id = ((b[0] ?? 0) << 8) | (b[1] ?? 0) || 1;
    if (id === this.lastSessionId) id = id === 0xffff ? 1 : id + 1;
    this.lastSessionId = id;
    return id.toString(16).toUpperCase();
  }

  /** Arms the update button (short press: whole device; long press: pick a component) and the schedule. */
  armTriggers(): TriggerController {
    const { ports, desc } = this;
    const ui = this.ui instanceof UserInteraction ? this.ui : undefined;
    const controller = new TriggerController(
      withDefined(
        {
          queue: this.queue,
          startSession: async () => (await this.runSession()).ok,
          pickComponent: async () => {
            if (!ui) return undefined;
            const list = listDeployed(this.tree).map((c) => ({ id: c.node, name: c.name, version: c.version }));
            const node = await ui.pickComponent(list);
            return node === undefined ? undefined : buildUpdateRequest(this.tree, 'user', node).source;
          },
          // A user-started session that ended well counts as a check: it resets the schedule's back-off.
          onSessionEnd: (ok) => this.schedule?.sessionEnded(ok),
        },
        { log: ports.log },
      ),
    );
    if (ports.button) {
      this.button = new UpdateButton(
        withDefined(
          {
            button: ports.button,
            clock: ports.clock,
            onShortPress: () => {
              void controller.shortPress();
            },
            onLongPress: () => {
              void controller.longPress();
            },
          },
          { debounceMs: desc.button?.debounceMs || undefined, longPressMs: desc.button?.longPressMs || undefined },
        ),
      );
    }
    if (desc.schedule) {
      this.schedule = new CheckSchedule(
        planScheduleOptions(
          desc.schedule,
          ports.crypto,
          withDefined({ storage: ports.storage, clock: ports.clock, onDue: () => controller.scheduleDue() }, { log: ports.log }),
        ),
      );
      this.schedule.start();
    }
    return controller;
  }

  /** Stops the schedule's timer and the button's pending timers. */
  disarm(): void {
    this.schedule?.stop();
    this.button?.stop();
  }
}
