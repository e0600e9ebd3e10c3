// What the device and the simulator entries share: read the manifest's config, build every port, boot the
// agent, arm the update button and the check schedule, and start a session when the server notifies over
// MQTT. The entries (main.ts, main-sim.ts) differ in the board button, the mod slot and the firmware slots,
// which are the ESP32's partitions on the device and files in the simulator.
import config from 'mc/config';
import Modules from 'modules';
import Resource from 'Resource';
import type { Button, Clock, FirmwareSlots, Log, Transport } from '../../agent/ports.js';
import { DmAgent, type SessionReport } from '../../agent/agent.js';
import { UserInteraction } from '../../agent/ui/interaction.js';
import { wrap } from '../../agent/ui/layout.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import { readDeviceConfig, type DeviceConfig } from './lib/config.js';
import { EdgeButton } from './lib/edge-button.js';
import type { ModSlot } from './lib/mod-slot.js';
import { TraceLog } from './log.js';
import { Settings, type PreferenceStore } from './settings.js';
import { ModdableClock } from './clock.js';
import { moddableCrypto, seedRandom } from './crypto.js';
import { ModdableUtf8 } from './utf8.js';
import { FileStorage } from './storage.js';
import { PiuDisplay } from './display.js';
import { HttpTransport } from './http-transport.js';
import { MqttTransport } from './mqtt-transport.js';
import { HttpDownloader } from './downloader.js';
import { ModInstaller } from './installer.js';
import { errorMessage } from '../../agent/errors.js';
import { withDefined } from '../../agent/util/options.js';

/** The type of FUMO's result alerts (org.openmobilealliance.dm.firmwareupdate.download, .update, .downloadandupdate). */
const FUMO_ALERT_PREFIX = 'org.openmobilealliance.dm.firmwareupdate.';

export interface PlatformParts {
  slot: ModSlot;
  /** The SDK's `preference` module, imported by the entry module (settings.ts says why not here). */
  preference: PreferenceStore;
  /** The board's update button, when the platform has one. */
  makeButton?: (pin: number, clock: Clock) => Button;
  /** Largest MQTT publish the platform's socket takes in one write (MqttTransport's default fits ESP32). */
  maxPublishBytes?: number;
  /** The firmware slots (FUMO), made once the config is read; without them the device updates components only. */
  makeFirmware?: (o: FirmwareSetup) => Firmware;
}

/** What the firmware slots are made from: this build's firmware, as the config names it. */
export interface FirmwareSetup {
  /** The firmware's name: the device model (DevInfo/Mod). */
  name: string;
  /** This build's version (dm.device.devDetail.fwV; "0" when the config has none). */
  version: string;
  /** A folder of the file system for the slots' records (`dm-fw/` under the file root). */
  dir: string;
  certificate?: HostBuffer;
  log: Log;
}

export interface Firmware {
  slots: FirmwareSlots;
  /** The device maker's health check of a trial firmware; without it, the trial's first good session confirms it. */
  healthCheck?: () => boolean;
}

function certificate(cfg: DeviceConfig): HostBuffer | undefined {
  return cfg.caResource ? new Resource(cfg.caResource) : undefined;
}

function makeTransport(cfg: DeviceConfig, log: Log, parts: PlatformParts): { transport: Transport; mqtt?: MqttTransport } {
  const t = cfg.desc.transport;
  const cert = certificate(cfg);
  const common = withDefined(
    { maxReplyBytes: cfg.maxMsgSize, log },
    { timeoutMs: t?.timeoutMs || undefined, retries: t?.retries, certificate: cert },
  );
  if (t?.kind !== 'mqtt') return { transport: new HttpTransport(common) };
  const m = t.mqtt!;
  const mqtt = new MqttTransport(
    withDefined(
      { ...common, brokerUrl: m.url, devId: cfg.desc.devInfo.devId },
      {
        maxPublishBytes: parts.maxPublishBytes || undefined,
        prefix: m.topicPrefix || undefined,
        username: m.username,
        password: m.password,
      },
    ),
  );
  return { transport: mqtt, mqtt };
}

/**
 * Imports the entry module of each active mod. Mods run in the host's realm, with the host's globals: only
 * packages from the device maker's DM server are installed, and that server is authenticated.
 */
function runMods(modules: string[], log: Log): void {
  for (const m of modules) {
    if (!Modules.has(m)) {
      log.log('warn', `active mod module ${m} is not installed (restart pending?)`);
      continue;
    }
    try {
      Modules.importNow(m);
      log.log('info', `mod ${m} started`);
    } catch (e) {
      log.log('error', `mod ${m} failed: ${errorMessage(e)}`);
    }
  }
}

function showIdle(agent: DmAgent, note: string): void {
  if (!(agent.ui instanceof UserInteraction)) return;
  const apps = listDeployed(agent.tree).map((c) => `${c.name} ${c.version}`);
  agent.ui.showMessage(agent.desc.devInfo.mod, [note, ...apps].join('\n'));
}

/** What the idle screen says once a session has ended: how the check went, and why when it failed. */
export function sessionEndNote(report: SessionReport): string {
  return report.ok ? 'Up to date.' : `Check failed: ${report.error?.message ?? 'no reply'}`;
}

/** Builds the device and boots the agent; returns the Piu application at once (the boot goes on after). */
export function startDevice(parts: PlatformParts): { application: object } {
  const display = new PiuDisplay();
  let cfg: DeviceConfig;
  try {
    cfg = readDeviceConfig(config);
  } catch (e) {
    trace(`config error: ${errorMessage(e)}\n`);
    display.render({
      kind: 'text',
      title: 'Configuration error',
      lines: wrap(errorMessage(e), display.capabilities.columns),
      page: 0,
      pages: 1,
      actions: [],
    });
    return { application: display.application };
  }
  const log = new TraceLog(cfg.logLevel);
  const settings = new Settings(parts.preference);
  seedRandom(settings, log);
  const clock = new ModdableClock(settings);
  const edges = new EdgeButton();
  const soft = edges.source();
  display.onSoftButton = (pressed) => soft(pressed, clock.monotonic());
  if (cfg.buttonPin !== undefined && parts.makeButton) {
    try {
      parts.makeButton(cfg.buttonPin, clock).onEdge(edges.source());
    } catch (e) {
      log.log('warn', `no board button on pin ${cfg.buttonPin}: ${errorMessage(e)}`);
    }
  }
  const storage = new FileStorage(cfg.storageDir);
  const cert = certificate(cfg);
  const downloader = new HttpDownloader(cfg.packageDir, withDefined({ maxBytes: cfg.maxPackageBytes }, { certificate: cert }));
  const installer = new ModInstaller({
    storage: new FileStorage(cfg.componentDir),
    downloader,
    slot: parts.slot,
    log,
    initial: cfg.desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })),
  });
  runMods(installer.activeModules(), log);
  const { transport, mqtt } = makeTransport(cfg, log, parts);
  const desc = cfg.desc;
  let firmware: Firmware | undefined;
  try {
    firmware = parts.makeFirmware?.(
      withDefined({ name: desc.devInfo.mod, version: desc.devDetail?.fwV ?? '0', dir: cfg.firmwareDir, log }, { certificate: cert }),
    );
  } catch (e) {
    log.log('error', `no firmware update: the firmware slots failed: ${errorMessage(e)}`);
  }
  DmAgent.boot(
    desc,
    withDefined(
      {
        storage,
        clock,
        crypto: moddableCrypto,
        utf8: new ModdableUtf8(),
        transport,
        display,
        button: edges,
        downloader,
        installer,
        log,
      },
      { firmware: firmware?.slots },
    ),
    withDefined(
      { maxMsgSize: cfg.maxMsgSize, treeLimits: cfg.tree, maxListNodes: cfg.listMaxNodes, maxPackageBytes: cfg.maxPackageBytes },
      { firmwareHealthCheck: firmware?.healthCheck, encoding: desc.transport?.encoding },
    ),
  )
    .then((agent) => {
      // After every session, however it ended, the screen goes back to the idle screen with what is deployed now.
      // A firmware restart leaves "Restarting…" on the screen: on the device nothing runs after it.
      agent.onSessionEnd = (report) => {
        if (!agent.fumo?.restarted) showIdle(agent, sessionEndNote(report));
      };
      const controller = agent.armTriggers();
      if (mqtt) {
        mqtt.onNotify = () => {
          log.log('info', 'server notification: checking for updates');
          void controller.scheduleDue();
        };
        mqtt.connect().catch((e: unknown) => log.log('warn', `MQTT: ${errorMessage(e)} (retrying in the background)`));
      }
      // After a firmware restart the device reports at once: a trial's first good session confirms it, and a
      // return to the previous firmware has its failure alert queued. The controller runs it (one at a time).
      // A result found at boot stays on the screen (FUMO drew it) until that session ends.
      const result = agent.queue.pending().some((a) => a.type.startsWith(FUMO_ALERT_PREFIX));
      if (!result) showIdle(agent, 'Ready.');
      // Not when the boot itself restarted (a trial whose health check failed returns at once).
      if (agent.fumo && !agent.fumo.restarted && (agent.fumo.inTrial || result)) void controller.scheduleDue();
      log.log('info', `device ${desc.devInfo.devId} up`, {
        transport: desc.transport?.kind ?? 'http',
        deployed: listDeployed(agent.tree).length,
      });
    })
    .catch((e: unknown) => {
      log.log('error', `boot failed: ${errorMessage(e)}`);
      display.render({
        kind: 'text',
        title: 'Start-up failed',
        lines: wrap(errorMessage(e), display.capabilities.columns),
        page: 0,
        pages: 1,
        actions: [],
      });
    });
  return { application: display.application };
}
