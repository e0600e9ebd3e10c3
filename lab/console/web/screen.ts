// A simulated device's 240x320 screen in the page: the Screen the agent rendered, laid out by the device's
// own layout (platform/moddable/lib/screen-layout.ts) and drawn on a canvas as the Piu display draws it on
// the device; a click is a touch on the zone under it, handled as the device's display handles it
// (platform/moddable/display.ts): an input event for the agent, a key of the on-screen keyboard, the keyboard
// shown or hidden, or the idle screen's update key.
import type { InputEvent, Screen } from '../../../agent/ports.js';
import {
  editStateAfter,
  HEIGHT,
  hitZone,
  layoutScreen,
  WIDTH,
  type DrawOp,
  type Layout,
  type View,
} from '../../../platform/moddable/lib/screen-layout.js';
import { applyKey } from '../../../platform/moddable/lib/keyboard.js';

const FONTS = { title: '600 20px "Open Sans", system-ui, sans-serif', body: '16px "Open Sans", system-ui, sans-serif' } as const;

export interface ScreenActions {
  input(event: InputEvent): void;
  button(): void;
}

export class DeviceScreen {
  readonly canvas: HTMLCanvasElement;
  private screen: Screen | null = null;
  private view: View = { keyboard: false, mode: 'lower' };
  private edit = '';
  private layout: Layout = { ops: [], zones: [] };

  constructor(
    readonly devId: string,
    private readonly actions: ScreenActions,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = WIDTH;
    this.canvas.height = HEIGHT;
    this.canvas.dataset.dev = devId;
    this.canvas.setAttribute('aria-label', `screen of ${devId}`);
    // offsetX/Y: from the canvas's own top-left corner, inside its frame (the border drawn around it).
    this.canvas.addEventListener('click', (e) => {
      this.touch((e.offsetX * WIDTH) / this.canvas.clientWidth, (e.offsetY * HEIGHT) / this.canvas.clientHeight);
    });
  }

  /** Draws the device's current screen; `renders` tells a test which screen is up. */
  show(screen: Screen | null, renders: number): void {
    const prev = this.screen;
    ({ view: this.view, edit: this.edit } = editStateAfter(prev, screen, this.view, this.edit));
    this.screen = screen;
    this.canvas.dataset.kind = screen?.kind ?? 'none';
    this.canvas.dataset.title = screen?.title ?? '';
    this.canvas.dataset.renders = String(renders);
    this.redraw();
  }

  private redraw(): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.fillStyle = '#FFFFFF';
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    if (!this.screen) {
      this.layout = { ops: [], zones: [] };
      ctx.fillStyle = '#5c6670';
      ctx.font = FONTS.body;
      ctx.fillText('(nothing drawn yet)', 40, 160);
      return;
    }
    this.layout = layoutScreen(this.screen, this.view);
    for (const op of this.layout.ops) draw(ctx, op);
  }

  private touch(x: number, y: number): void {
    const z = hitZone(this.layout.zones, x, y);
    if (!z) return;
    const a = z.action;
    if (a.kind === 'soft-button') this.actions.button();
    else if (a.kind === 'event') this.actions.input(a.event);
    else if (a.kind === 'keyboard') {
      this.view = { ...this.view, keyboard: a.show };
      this.redraw();
    } else if (a.kind === 'key' && this.screen?.kind === 'input') {
      const r = applyKey(this.edit, this.view.mode, a.action, this.screen.maxLength);
      this.edit = r.value;
      this.view = { keyboard: !r.submit, mode: r.mode };
      this.redraw();
      if (r.changed) this.actions.input({ kind: 'text', value: r.value });
      if (r.submit) this.actions.input({ kind: 'submit' });
    }
  }
}

function draw(ctx: CanvasRenderingContext2D, op: DrawOp): void {
  if (op.op === 'fill') {
    ctx.fillStyle = op.color;
    ctx.fillRect(op.x, op.y, op.w, op.h);
    return;
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(op.x, op.y, op.w, op.h);
  ctx.clip();
  ctx.font = FONTS[op.font];
  ctx.fillStyle = op.color;
  ctx.textBaseline = 'middle';
  const width = ctx.measureText(op.text).width;
  const dx = op.align === 'center' ? Math.max(0, (op.w - width) / 2) : 0;
  ctx.fillText(op.text, op.x + dx, op.y + op.h / 2);
  ctx.restore();
}
