// Button port on the board's push button through ECMA-419 embedded:io/digital (the SDK's $(MODULES)/io).
// The pin has a pull-up and the button pulls it to ground, so pressed = low. Every edge, both directions,
// is reported raw with the monotonic time it was read; debouncing and short/long press are the core's job.
import Digital from 'embedded:io/digital';
import type { Button, Clock } from '../../agent/ports.js';

export class DigitalButton implements Button {
  private readonly listeners: ((pressed: boolean, atMs: number) => void)[] = [];
  private readonly io: Digital;

  constructor(pin: number, clock: Clock) {
    const emit = (pressed: boolean) => {
      const at = clock.monotonic();
      for (const l of this.listeners) l(pressed, at);
    };
    this.io = new Digital({
      pin,
      mode: Digital.InputPullUp,
      edge: Digital.Rising | Digital.Falling,
      onReadable(this: Digital) {
        emit(this.read() === 0);
      },
    });
  }

  onEdge(listener: (pressed: boolean, atMs: number) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.io.close();
  }
}
