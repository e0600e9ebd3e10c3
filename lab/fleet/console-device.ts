// A fleet device in the lab console (`fleet --console`): its update button is the page's (a short press
// checks the whole device, a long press lets the user pick a component on the screen), and between sessions
// its screen shows the idle screen the Moddable app shows (what is deployed, how the last check went), as
// lab/console/sim-device.ts does for the demo's device. A press queues the request and runs its session
// after any session of the device in flight (FleetDevice keeps them one at a time, and its agent is a new one
// after a firmware restart, so the press goes to the device, not to an agent).
import { UpdateButton } from '../../agent/triggers/button.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import type { SessionReport } from '../../agent/agent.js';
import { systemClock } from '../../platform/node/clock.js';
import type { SimulatedDevice } from '../console/sim.js';
import type { ConsoleAnswers } from './answers.js';
import type { FleetDevice } from './device.js';
import { withDefined } from '../../agent/util/options.js';

function showIdle(device: FleetDevice, ui: ConsoleAnswers, note: string): void {
  const apps = listDeployed(device.agent.tree).map((c) => `${c.name} ${c.version}`);
  const fw = device.firmware();
  ui.showMessage(device.agent.desc.devInfo.mod, [note, ...(fw ? [`Firmware ${fw.version}`] : []), ...apps].join('\n'));
}

function endNote(r: SessionReport): string {
  return r.ok ? 'Up to date.' : `Check failed: ${r.error?.message ?? 'no reply'}`;
}

/** Wires the page's button to the device and draws its idle screen; returns the button (stop() to disarm). */
export function consoleControls(device: FleetDevice, sim: SimulatedDevice, ui: ConsoleAnswers): UpdateButton {
  const press = (component?: string) => {
    device.run('user', component).catch((e: unknown) => showIdle(device, ui, `Check failed: ${(e as Error).message}`));
  };
  const longPress = async () => {
    const list = listDeployed(device.agent.tree).map((c) => ({ id: c.node, name: c.name, version: c.version }));
    const node = await ui.pickComponent(list);
    if (node !== undefined) press(node);
  };
  device.onSessionEnd = (r) => showIdle(device, ui, endNote(r));
  const desc = device.agent.desc;
  const button = new UpdateButton(
    withDefined(
      { button: sim.button, clock: systemClock, onShortPress: () => press(), onLongPress: () => void longPress() },
      { debounceMs: desc.button?.debounceMs || undefined, longPressMs: desc.button?.longPressMs || undefined },
    ),
  );
  showIdle(device, ui, 'Ready.');
  return button;
}
