// Display port on Piu for the 240x320 touch screen (Moddable Two; the simulator shows the same). One Piu Port
// fills the screen and draws what lib/screen-layout.ts computed for the current Screen; a touch that starts
// and ends on the same zone is that zone's action: an InputEvent for the core, a key of the on-screen
// keyboard, showing or hiding the keyboard, or the idle screen's update key (reported as button edges).
// Fonts are the SDK's OpenSans bitmap fonts listed in the manifest (Semibold 20, Regular 16).
import type { Display, DisplayCapabilities, InputEvent, Screen } from '../../agent/ports.js';
import {
  CAPABILITIES,
  editStateAfter,
  COLORS,
  hitZone,
  layoutScreen,
  progressLabel,
  type DrawOp,
  type Layout,
  type View,
  type Zone,
} from './lib/screen-layout.js';
import { applyKey } from './lib/keyboard.js';

/**
 * The drawing part of Piu's Port used here (documentation/piu/piu.md, "Port Object"). Declared locally: the
 * SDK's Piu typings name the Port interface differently from one SDK version to the next (piu/MC in
 * @moddable/typings 5.6, piu/MC-types since), while the globals Port, Style, Skin, Behavior and Application
 * are the same in both.
 */
interface DrawingPort {
  readonly x: number;
  readonly y: number;
  fillColor(color: string, x: number, y: number, width: number, height: number): void;
  drawString(text: string, style: object, color: string, x: number, y: number, width: number, height: number): void;
  measureString(text: string, style: object): { width: number; height: number };
  pushClip(x: number, y: number, width: number, height: number): void;
  popClip(): void;
  invalidate(): void;
}

export class PiuDisplay implements Display {
  readonly capabilities: DisplayCapabilities = CAPABILITIES;
  /** The Piu application; the entry module returns it (Piu's documented main-module contract). */
  readonly application: object;
  /** Down and up of the idle screen's update key. */
  onSoftButton?: (pressed: boolean) => void;
  private readonly listeners: ((event: InputEvent) => void)[] = [];
  private readonly port: DrawingPort;
  private readonly styles: Record<string, object>;
  private screen?: Screen;
  private layout: Layout = { ops: [], zones: [] };
  private view: View = { keyboard: false, mode: 'lower' };
  /** What is being typed: the core only ever shows it back masked when the input is a password. */
  private edit = '';
  private touched?: Zone;

  constructor() {
    this.styles = {
      'title-left': new Style({ font: '600 20px Open Sans', horizontal: 'left' }),
      'title-center': new Style({ font: '600 20px Open Sans', horizontal: 'center' }),
      'body-left': new Style({ font: '16px Open Sans', horizontal: 'left' }),
      'body-center': new Style({ font: '16px Open Sans', horizontal: 'center' }),
    };
    const self = this;
    class ScreenBehavior extends Behavior {
      onDraw(port: unknown): void {
        self.draw(port as DrawingPort);
      }
      onTouchBegan(_port: unknown, _id: number, x: number, y: number): void {
        self.touchBegan(x, y);
      }
      onTouchEnded(_port: unknown, _id: number, x: number, y: number): void {
        self.touchEnded(x, y);
      }
      onTouchCancelled(): void {
        self.touchCancelled();
      }
    }
    const port = new Port(null, { left: 0, right: 0, top: 0, bottom: 0, active: true, Behavior: ScreenBehavior });
    this.port = port as unknown as DrawingPort;
    this.application = new Application(null, {
      left: 0,
      right: 0,
      top: 0,
      bottom: 0,
      skin: new Skin({ fill: COLORS.background }),
      contents: [port],
      // Bytes of Piu's command list and Poco's display list: the keyboard screen draws about 110 items.
      commandListLength: 4096,
      displayListLength: 8192,
      touchCount: 1,
    });
  }

  onInput(listener: (event: InputEvent) => void): void {
    this.listeners.push(listener);
  }

  render(screen: Screen): void {
    const prev = this.screen;
    // The download reports every fragment (about 1.4 KB): redraw only when the visible percentage changes,
    // each redraw costs a layout in RAM and a screen update over SPI.
    if (
      screen.kind === 'progress' &&
      prev?.kind === 'progress' &&
      prev.title === screen.title &&
      progressLabel(prev.done, prev.total) === progressLabel(screen.done, screen.total)
    ) {
      this.screen = screen;
      return;
    }
    ({ view: this.view, edit: this.edit } = editStateAfter(prev, screen, this.view, this.edit));
    this.screen = screen;
    this.relayout();
  }

  private relayout(): void {
    if (this.screen) this.layout = layoutScreen(this.screen, this.view);
    this.port.invalidate();
  }

  private draw(port: DrawingPort): void {
    for (const op of this.layout.ops) this.drawOp(port, op);
  }

  private drawOp(port: DrawingPort, op: DrawOp): void {
    if (op.op === 'fill') {
      port.fillColor(op.color, op.x, op.y, op.w, op.h);
      return;
    }
    // Port.drawString draws at (x, y) whatever the style's alignment (the SDK's own example centres a string
    // by measuring it): centred text is offset here, and every line sits in the middle of its box's height.
    const style = this.styles[`${op.font}-${op.align}`]!;
    const size = port.measureString(op.text, style);
    const dx = op.align === 'center' ? Math.max(0, (op.w - size.width) >> 1) : 0;
    const dy = Math.max(0, (op.h - size.height) >> 1);
    // Clipped: a line wider than its box must not spill over the next one.
    port.pushClip(op.x, op.y, op.w, op.h);
    port.drawString(op.text, style, op.color, op.x + dx, op.y + dy, op.w - dx, op.h - dy);
    port.popClip();
  }

  private emit(event: InputEvent): void {
    for (const l of this.listeners) l(event);
  }

  private local(x: number, y: number): Zone | undefined {
    return hitZone(this.layout.zones, x - this.port.x, y - this.port.y);
  }

  private touchBegan(x: number, y: number): void {
    this.touched = this.local(x, y);
    if (this.touched?.action.kind === 'soft-button') this.onSoftButton?.(true);
  }

  private touchCancelled(): void {
    const z = this.touched;
    this.touched = undefined;
    if (z?.action.kind === 'soft-button') this.onSoftButton?.(false);
  }

  private touchEnded(x: number, y: number): void {
    const z = this.touched;
    this.touched = undefined;
    if (!z) return;
    if (z.action.kind === 'soft-button') {
      this.onSoftButton?.(false);
      return;
    }
    // A finger that slid off the zone it started on means "not this one".
    if (this.local(x, y) !== z) return;
    const a = z.action;
    if (a.kind === 'event') this.emit(a.event);
    else if (a.kind === 'keyboard') {
      this.view = { ...this.view, keyboard: a.show };
      this.relayout();
    } else if (a.kind === 'key' && this.screen?.kind === 'input') {
      const r = applyKey(this.edit, this.view.mode, a.action, this.screen.maxLength);
      this.edit = r.value;
      this.view = { keyboard: !r.submit, mode: r.mode };
      this.relayout();
      if (r.changed) this.emit({ kind: 'text', value: r.value });
      if (r.submit) this.emit({ kind: 'submit' });
    }
  }
}
