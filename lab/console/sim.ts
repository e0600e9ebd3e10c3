// Simulated devices that run in the console's process (`demo --console`): each one's screen is the
// Display port's Screen, the same the agent gives the Moddable device's 240x320 touch screen, and the page
// lays it out with that device's own layout (platform/moddable/lib/screen-layout.ts, bundled into the page)
// rather than a second look of its own. What the user touches in the page comes back as the InputEvents the
// device's screen would send, and the idle screen's key as the update button's edges.
import type { Button, Display, DisplayCapabilities, InputEvent, Screen } from '../../agent/ports.js';
import { CAPABILITIES } from '../../platform/moddable/lib/screen-layout.js';

/** The input events the page may send (the Display port's InputEvent), checked as they come from outside. */
export function parseInputEvent(v: unknown): InputEvent | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  switch (o.kind) {
    case 'up':
    case 'down':
    case 'select':
    case 'back':
    case 'next-page':
    case 'prev-page':
    case 'yes':
    case 'no':
    case 'cancel':
    case 'submit':
      return { kind: o.kind };
    case 'pick':
      return Number.isInteger(o.index) && (o.index as number) >= 0 && (o.index as number) < 1000
        ? { kind: 'pick', index: o.index as number }
        : undefined;
    case 'text':
      return typeof o.value === 'string' && o.value.length <= 1024 ? { kind: 'text', value: o.value } : undefined;
    default:
      return undefined;
  }
}

/** The device's screen, drawn in the page: the last Screen rendered, and the page's input. */
export class ConsoleDisplay implements Display {
  readonly capabilities: DisplayCapabilities = CAPABILITIES;
  screen?: Screen;
  /** Screens drawn, so that the page (and a test) can tell a new one from the last. */
  renders = 0;
  private readonly listeners: ((e: InputEvent) => void)[] = [];

  constructor(private readonly changed: () => void) {}

  render(screen: Screen): void {
    const prev = this.screen;
    this.screen = screen;
    this.renders++;
    // The download reports every fragment: tell the page only when the visible percentage changes.
    if (screen.kind === 'progress' && prev?.kind === 'progress' && percent(prev) === percent(screen)) return;
    this.changed();
  }

  onInput(listener: (event: InputEvent) => void): void {
    this.listeners.push(listener);
  }

  input(e: InputEvent): void {
    for (const l of this.listeners) l(e);
  }
}

function percent(s: { done: number; total: number }): number {
  return s.total > 0 ? Math.floor((100 * s.done) / s.total) : Math.floor(s.done / 1024);
}

/** The update button, pressed from the page: a short press, or one held past the long-press time. */
export class ConsoleButton implements Button {
  private readonly listeners: ((pressed: boolean, atMs: number) => void)[] = [];
  constructor(private readonly longPressMs: number) {}
  onEdge(listener: (pressed: boolean, atMs: number) => void): void {
    this.listeners.push(listener);
  }
  /** Down, then up after the hold: as the hardware reports a press (the agent debounces and times it). */
  press(long: boolean): void {
    const edge = (p: boolean) => {
      const at = performance.now();
      for (const l of this.listeners) l(p, at);
    };
    edge(true);
    setTimeout(() => edge(false), long ? this.longPressMs + 300 : 100);
  }
}

export interface SimulatedDevice {
  devId: string;
  display: ConsoleDisplay;
  button: ConsoleButton;
}

/** The simulated devices of this process, by DevId. */
export class SimulatedDevices {
  private readonly devices = new Map<string, SimulatedDevice>();
  constructor(private readonly changed: (devId: string) => void) {}

  /** A display and a button for a device the process is about to start. */
  add(devId: string, longPressMs = 2000): SimulatedDevice {
    const d: SimulatedDevice = { devId, display: new ConsoleDisplay(() => this.changed(devId)), button: new ConsoleButton(longPressMs) };
    this.devices.set(devId, d);
    return d;
  }

  get(devId: string): SimulatedDevice | undefined {
    return this.devices.get(devId);
  }

  list(): SimulatedDevice[] {
    return [...this.devices.values()];
  }
}
