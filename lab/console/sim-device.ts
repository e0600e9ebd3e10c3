// One simulated device whose screen and button are the console's (demo --console, the browser tests): a
// Node device (platform/node/node-device.ts) with the console's display and button, its triggers armed
// (the button, its schedule, a server notification over MQTT), and the idle screen the Moddable app shows
// between sessions (what is deployed, and how the last check went). With firmware slots, a firmware update's
// restart is simulated as demo does it (restartNodeDevice): the device closes and starts again on its state
// folder, its trial firmware runs its first session at once, and the console keeps the same screen and button.
import type { DeviceDescription } from '../../agent/description/description.js';
import type { Log } from '../../agent/ports.js';
import { UserInteraction } from '../../agent/ui/interaction.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import type { SessionReport } from '../../agent/agent.js';
import type { DmAgent } from '../../agent/agent.js';
import { restartNodeDevice, startNodeDevice, type NodeDevice, type NodeDeviceOptions } from '../../platform/node/node-device.js';
import type { LabConsole } from './console.js';
import { withDefined } from '../../agent/util/options.js';

export interface ConsoleDeviceOptions {
  desc: DeviceDescription;
  stateDir: string;
  transport: 'http' | 'mqtt';
  brokerUrl?: string;
  encoding?: 'xml' | 'wbxml';
  log?: Log;
  /** A/B firmware slots (FUMO), as `demo --firmware` gives the device. */
  firmware?: boolean;
}

/** The device the console shows; `device` changes when a firmware update restarts it. */
export interface ConsoleDevice {
  readonly device: NodeDevice;
  readonly agent: DmAgent;
  /** Restarts after a firmware switch (with the trial's first session) done so far. */
  readonly restarts: number;
  close(): Promise<void>;
}

function showIdle(dev: NodeDevice, note: string): void {
  const ui = dev.agent.ui;
  if (!(ui instanceof UserInteraction)) return;
  const apps = listDeployed(dev.agent.tree).map((c) => `${c.name} ${c.version}`);
  ui.showMessage(dev.agent.desc.devInfo.mod, [note, ...apps].join('\n'));
}

function endNote(r: SessionReport): string {
  return r.ok ? 'Up to date.' : `Check failed: ${r.error?.message ?? 'no reply'}`;
}

/** Starts the device with the console's screen and button; it runs until closed. */
export async function startConsoleDevice(c: LabConsole, o: ConsoleDeviceOptions): Promise<ConsoleDevice> {
  const sim = c.sims.add(o.desc.devInfo.devId, o.desc.button?.longPressMs ?? 2000);
  let onNotify: (() => void) | undefined;
  const options: NodeDeviceOptions = withDefined(
    { desc: o.desc, stateDir: o.stateDir, transport: o.transport, display: sim.display, button: sim.button, onNotify: () => onNotify?.() },
    {
      brokerUrl: o.brokerUrl || undefined,
      log: o.log,
      agent: o.encoding ? { encoding: o.encoding } : undefined,
      firmware: o.firmware ? true : undefined,
    },
  );
  let dev = await startNodeDevice(options);
  let closed = false;
  let restarts = 0;
  let restarting: Promise<void> | undefined;
  const arm = async (d: NodeDevice, note: string) => {
    d.agent.onSessionEnd = (r) => {
      showIdle(d, endNote(r));
      // The firmware switched: the restart comes once this session's call has returned.
      if (d.agent.fumo?.restarted && !restarting) restarting = new Promise((done) => setImmediate(() => void restart().finally(done)));
    };
    const controller = d.agent.armTriggers();
    onNotify = () => {
      void controller.scheduleDue();
    };
    if (d.mqtt) await d.mqtt.connect();
    showIdle(d, note);
  };
  const restart = async () => {
    if (closed) return;
    const next = await restartNodeDevice(dev, options);
    dev = next.device;
    restarts++;
    restarting = undefined;
    const fw = dev.firmware?.boot();
    await arm(dev, next.report ? endNote(next.report) : `Firmware ${fw?.version ?? '?'}.`);
  };
  await arm(dev, 'Ready.');
  return {
    get device() {
      return dev;
    },
    get agent() {
      return dev.agent;
    },
    get restarts() {
      return restarts;
    },
    close: async () => {
      closed = true;
      await restarting;
      await dev.close();
    },
  };
}
