// The Button port fed by several sources: the board's push button (embedded:io/digital) and the touch
// screen's "Check for updates" key. The core debounces one stream of edges, so the sources are merged as one
// button that is down while any source is down; an edge that changes nothing (a source repeating its level,
// the second source going down while the first is held) is not reported.
import type { Button } from '../../../agent/ports.js';

export type EdgeSink = (pressed: boolean, atMs: number) => void;

export class EdgeButton implements Button {
  private listeners: EdgeSink[] = [];
  private down: boolean[] = [];
  private pressed = false;

  onEdge(listener: EdgeSink): void {
    this.listeners.push(listener);
  }

  /** A new source; call the returned function with each of its raw edges. */
  source(): EdgeSink {
    const i = this.down.length;
    this.down.push(false);
    return (pressed, atMs) => {
      this.down[i] = pressed;
      const any = this.down.some(Boolean);
      if (any === this.pressed) return;
      this.pressed = any;
      for (const l of this.listeners) l(any, atMs);
    };
  }
}
