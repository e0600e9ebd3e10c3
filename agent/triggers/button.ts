// The update button: raw edges from the Button port, debounced (a level counts once it held for debounceMs),
// a long press fired at the threshold while the button is still held.
import type { Button, Clock, TimerHandle } from '../ports.js';
import { DmError } from '../errors.js';

export interface UpdateButtonOptions {
  button: Button;
  clock: Clock;
  debounceMs?: number;   // default 30
  longPressMs?: number;  // default 2000
  onShortPress: () => void;
  onLongPress: () => void;
}

export class UpdateButton {
  private readonly debounceMs: number;
  private readonly longPressMs: number;
  private stable = false;          // debounced level: pressed or not
  private level = false;           // last raw level
  private settle?: TimerHandle;
  private long?: TimerHandle;
  private longFired = false;

  constructor(private readonly o: UpdateButtonOptions) {
    this.debounceMs = o.debounceMs ?? 30;
    this.longPressMs = o.longPressMs ?? 2000;
    if (!(this.debounceMs > 0)) throw new DmError('DM_ERR_CONFIG', 400, `debounceMs must be > 0, not ${this.debounceMs}`);
    if (!(this.longPressMs > this.debounceMs)) throw new DmError('DM_ERR_CONFIG', 400, `longPressMs (${this.longPressMs}) must be longer than debounceMs (${this.debounceMs})`);
    o.button.onEdge((pressed) => this.edge(pressed));
  }

  private edge(pressed: boolean): void {
    this.level = pressed;
    // Every edge restarts the settle timer: only a level that holds for debounceMs is believed.
    if (this.settle !== undefined) this.o.clock.clearTimeout(this.settle);
    this.settle = this.o.clock.setTimeout(() => this.settled(), this.debounceMs);
  }

  private settled(): void {
    this.settle = undefined;
    if (this.level === this.stable) return;
    this.stable = this.level;
    if (this.stable) {
      this.longFired = false;
      this.long = this.o.clock.setTimeout(() => {
        this.long = undefined;
        this.longFired = true;
        this.o.onLongPress();
      }, this.longPressMs - this.debounceMs);
    } else {
      if (this.long !== undefined) { this.o.clock.clearTimeout(this.long); this.long = undefined; }
      if (!this.longFired) this.o.onShortPress();
    }
  }
}
