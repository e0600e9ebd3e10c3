// What the page's views share: the records of the API they all show, the view element, the simulated
// devices' screens, messages to the user, and a few elements (label/value grids, status, device links).
import type { InputEvent, Screen } from '../../../agent/ports.js';
import { h, post } from './dom.js';
import { DeviceScreen } from './screen.js';

export interface SessionSummary {
  id: string;
  devId: string;
  sessionId: string;
  status: string;
  transport: string;
  encoding: string;
  startedAt: string;
  lastAt: string;
  messages: number;
  deviations: number;
  last: string;
  /** Why a message was refused before it matched a session. */
  reason: string | null;
}
export interface ScreenState {
  devId: string;
  screen: Screen | null;
  renders: number;
}

export const view = document.getElementById('view')!;
/** What a view wants to hear of the event stream: it returns one when drawn. */
export type Listener = (event: string, data: unknown) => void;
export const screens = new Map<string, DeviceScreen>();

export function screenOf(devId: string): DeviceScreen {
  let s = screens.get(devId);
  if (!s) {
    const path = `/api/sim/${encodeURIComponent(devId)}`;
    s = new DeviceScreen(devId, {
      input: (event: InputEvent) => void post(`${path}/input`, { event }).catch(showError),
      button: () => void post(`${path}/button`, {}).catch(showError),
    });
    screens.set(devId, s);
  }
  return s;
}

export function showError(e: unknown): void {
  const box = document.getElementById('message');
  if (box) {
    box.className = 'error';
    box.textContent = (e as Error).message;
  }
}

export function note(text: string): void {
  const box = document.getElementById('message');
  if (box) {
    box.className = 'note';
    box.textContent = text;
  }
}

/** The view's contents, the parts left out (null) skipped. */
export function fill(...parts: (Node | null)[]): void {
  view.replaceChildren(...parts.filter((p): p is Node => p !== null));
}

/** Label and value pairs, two columns; each in an element of its own (text side by side would run together). */
export function grid(...pairs: [string, Node | string][]): HTMLElement {
  return h('div', { class: 'card grid' }, ...pairs.flatMap(([k, v]) => [h('span', { class: 'muted' }, k), h('span', {}, v)]));
}

export const statusCell = (s: string) => h('span', { class: `status-${s}` }, s);
export const devLink = (devId: string) => h('a', { href: `#/devices/${encodeURIComponent(devId)}` }, devId);
