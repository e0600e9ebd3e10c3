// The terminal as the device's keys: in raw mode, keys go to the screen while it waits for the user, and
// otherwise 'u' is the update button (a short press) and 'l' a long press (held past the long-press time),
// since a terminal cannot report how long a key is held.
import type { Button } from '../../agent/ports.js';
import { namedKeys, type TerminalDisplay } from './terminal-display.js';

export class TerminalButton implements Button {
  private listeners: ((pressed: boolean, atMs: number) => void)[] = [];
  onEdge(listener: (pressed: boolean, atMs: number) => void): void {
    this.listeners.push(listener);
  }
  /** A press held for `holdMs`, as the hardware would report it: an edge down, then an edge up. */
  press(holdMs: number): void {
    const edge = (p: boolean) => {
      const at = performance.now();
      for (const l of this.listeners) l(p, at);
    };
    edge(true);
    setTimeout(() => edge(false), holdMs);
  }
}

export interface TerminalKeysOptions {
  input: NodeJS.ReadStream;
  display: TerminalDisplay;
  button: TerminalButton;
  longPressMs: number;
  onQuit: () => void;
}

/** Starts reading keys; returns a function that gives the terminal back. */
export function attachTerminalKeys(o: TerminalKeysOptions): () => void {
  const tty = o.input.isTTY === true;
  if (tty) o.input.setRawMode(true);
  o.input.setEncoding('utf8');
  const onData = (chunk: string) => {
    for (const k of namedKeys(chunk)) {
      if (k === 'ctrl-c' || (k === 'q' && !o.display.waiting)) {
        o.onQuit();
        return;
      }
      if (o.display.waiting || (o.display.paging && (k === 'pageup' || k === 'pagedown'))) o.display.key(k);
      else if (k === 'u') o.button.press(100);
      else if (k === 'l') o.button.press(o.longPressMs + 300);
    }
  };
  o.input.on('data', onData);
  o.input.resume();
  return () => {
    o.input.off('data', onData);
    if (tty) o.input.setRawMode(false);
    o.input.pause();
  };
}
