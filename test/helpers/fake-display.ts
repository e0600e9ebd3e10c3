// A Display that records what it is asked to draw and lets the test press keys.
import type { Display, DisplayCapabilities, InputEvent, Screen } from '../../agent/ports.js';

export class FakeDisplay implements Display {
  readonly capabilities: DisplayCapabilities;
  readonly screens: Screen[] = [];
  private listener?: (e: InputEvent) => void;
  constructor(caps: Partial<DisplayCapabilities> = {}) {
    this.capabilities = { width: 240, height: 320, columns: 26, rows: 14, keys: 3, touch: false, maxTextLength: 2048, ...caps };
  }
  render(screen: Screen): void {
    this.screens.push(screen);
  }
  onInput(listener: (e: InputEvent) => void): void {
    this.listener = listener;
  }
  press(e: InputEvent): void {
    this.listener?.(e);
  }
  get last(): Screen | undefined {
    return this.screens[this.screens.length - 1];
  }
}
