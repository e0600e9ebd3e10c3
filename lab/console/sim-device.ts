// One simulated device whose screen and button are the console's (demo --console, the browser tests): a
// Node device (platform/node/node-device.ts) with the console's display and button, its triggers armed
// (the button, its schedule, a server notification over MQTT), and the idle screen the Moddable app shows
// between sessions (what is deployed, and how the last check went).
import type { DeviceDescription } from '../../agent/description/description.js';
import type { Log } from '../../agent/ports.js';
import { UserInteraction } from '../../agent/ui/interaction.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import type { SessionReport } from '../../agent/agent.js';
import { startNodeDevice, type NodeDevice } from '../../platform/node/node-device.js';
import type { LabConsole } from './console.js';

export interface ConsoleDeviceOptions {
  desc: DeviceDescription;
  stateDir: string;
  transport: 'http' | 'mqtt';
  brokerUrl?: string;
  encoding?: 'xml' | 'wbxml';
  log?: Log;
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
export async function startConsoleDevice(c: LabConsole, o: ConsoleDeviceOptions): Promise<NodeDevice> {
  const sim = c.sims.add(o.desc.devInfo.devId, o.desc.button?.longPressMs ?? 2000);
  let onNotify: (() => void) | undefined;
  const dev = await startNodeDevice({
    desc: o.desc,
    stateDir: o.stateDir,
    transport: o.transport,
    display: sim.display,
    button: sim.button,
    ...(o.brokerUrl ? { brokerUrl: o.brokerUrl } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...(o.encoding ? { agent: { encoding: o.encoding } } : {}),
    onNotify: () => onNotify?.(),
  });
  dev.agent.onSessionEnd = (r) => showIdle(dev, endNote(r));
  const controller = dev.agent.armTriggers();
  onNotify = () => {
    void controller.scheduleDue();
  };
  if (dev.mqtt) await dev.mqtt.connect();
  showIdle(dev, 'Ready.');
  return dev;
}
