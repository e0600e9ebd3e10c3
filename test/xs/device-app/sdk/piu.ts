// Stand-in for the Piu globals the device's display uses (documentation/piu/piu.md): Application, Container,
// Content, Port, Skin, Style, Texture and Behavior, as a model of the screen instead of pixels. What it keeps:
// - the containment tree and its coordinates (left, right, top, bottom, width, height within the container;
//   the application fills the 240 x 320 screen of the Moddable Two);
// - behaviours as Piu makes them: `new Behavior()` with no argument when the content is made, then
//   onCreate(content, data, dictionary); events are called with the content first;
// - a Port's drawing: invalidate() marks it, and the next frame (after the run loop went idle, as Piu updates
//   the screen) calls onDraw(port, 0, 0, width, height) and records its fillColor and drawString calls, with
//   the clip pushClip set; drawing outside onDraw throws. The frame is the last draw of every port, in tree
//   order, over the skins' fills: the host reads the texts on the screen from it;
// - touches as a finger makes them: began goes to the topmost active content under the point, which then gets
//   moved, ended (or cancelled) for that touch wherever it is, with global coordinates and the ticks.
import { uncaught, vm } from './runtime.js';

export const SCREEN = { width: 240, height: 320 } as const;

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type DrawOp =
  | { op: 'fill'; color: string; x: number; y: number; w: number; h: number }
  | { op: 'text'; text: string; color: string; font: string; align: string; x: number; y: number; w: number; h: number; clip?: Rect };

export interface Frame {
  /** Frames drawn since boot. */
  count: number;
  ops: DrawOp[];
}

interface ScreenState {
  application?: Application;
  invalid: Set<Port>;
  drawn: Map<Port, DrawOp[]>;
  drawing?: { port: Port; ops: DrawOp[]; clips: Rect[] };
  touches: Map<number, Content>;
  frame: Frame;
}

let screen: ScreenState | undefined;

/** A blank screen, at boot. */
export function resetScreen(): void {
  screen = { invalid: new Set(), drawn: new Map(), touches: new Map(), frame: { count: 0, ops: [] } };
}

/** The application on the screen, if one was made. */
export function application(): Application | undefined {
  return screen?.application;
}

function state(): ScreenState {
  if (!screen) throw new Error('Piu used before the device booted');
  return screen;
}

type Coordinates = { left?: number; right?: number; top?: number; bottom?: number; width?: number; height?: number };
type BehaviorLike = Record<string, ((...args: unknown[]) => unknown) | undefined>;

function place(start: number, size: number, a: number | undefined, b: number | undefined, length: number | undefined): [number, number] {
  if (a !== undefined && b !== undefined) return [start + a, size - a - b];
  const n = length ?? 0;
  if (a !== undefined) return [start + a, n];
  if (b !== undefined) return [start + size - b - n, n];
  return [start + Math.floor((size - n) / 2), n];
}

export class Behavior {}
Object.freeze(Behavior.prototype);

export class Skin {
  readonly fill?: string;
  constructor(dictionary: { fill?: string | string[]; texture?: unknown } = {}) {
    if (dictionary.texture !== undefined) throw new Error('Piu stand-in: texture skins are not modelled');
    const f = dictionary.fill;
    if (f !== undefined) this.fill = Array.isArray(f) ? String(f[0]) : String(f);
  }
}
Object.freeze(Skin.prototype);

export class Style {
  readonly font: string;
  readonly horizontal: string;
  readonly color?: string;
  constructor(dictionary: { font?: string; horizontal?: string; color?: string | string[] } = {}) {
    this.font = dictionary.font ?? '';
    this.horizontal = dictionary.horizontal ?? 'center';
    if (dictionary.color !== undefined)
      this.color = Array.isArray(dictionary.color) ? String(dictionary.color[0]) : String(dictionary.color);
  }
}
Object.freeze(Style.prototype);

export class Texture {
  constructor(path: unknown) {
    throw new Error(`Piu stand-in: no texture ${String(path)} (assets are not modelled)`);
  }
}
Object.freeze(Texture.prototype);

export class Content {
  #behavior?: BehaviorLike;
  #coordinates: Coordinates;
  #container?: Container;
  active: boolean;
  visible: boolean;
  skin?: Skin;
  style?: Style;
  name?: string;

  constructor(behaviorData?: unknown, dictionary: Record<string, unknown> = {}) {
    const d = dictionary ?? {};
    const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
    this.#coordinates = {
      left: num('left'),
      right: num('right'),
      top: num('top'),
      bottom: num('bottom'),
      width: num('width'),
      height: num('height'),
    };
    this.active = d.active === true;
    this.visible = d.visible !== false;
    if (d.skin instanceof Skin) this.skin = d.skin;
    if (d.style instanceof Style) this.style = d.style;
    if (typeof d.name === 'string') this.name = d.name;
    if (typeof d.Behavior === 'function') this.#behavior = new (d.Behavior as new () => BehaviorLike)();
    else if (typeof d.behavior === 'object' && d.behavior !== null) this.#behavior = d.behavior as BehaviorLike;
    this.#behavior?.onCreate?.call(this.#behavior, this, behaviorData, d);
  }

  get behavior(): object | undefined {
    return this.#behavior;
  }

  get container(): Container | undefined {
    return this.#container;
  }

  /** Sets the container (Container.add and the contents of a dictionary). */
  static attach(content: Content, container: Container | undefined): void {
    content.#container = container;
  }

  get coordinates(): Coordinates {
    return { ...this.#coordinates };
  }

  /** Global bounds: the screen's for the application, from the coordinates within the container otherwise. */
  bounds(): Rect {
    const c = this.#container;
    if (!c) return this instanceof Application ? { x: 0, y: 0, w: SCREEN.width, h: SCREEN.height } : { x: 0, y: 0, w: 0, h: 0 };
    const p = c.bounds();
    const k = this.#coordinates;
    const [x, w] = place(p.x, p.w, k.left, k.right, k.width);
    const [y, h] = place(p.y, p.h, k.top, k.bottom, k.height);
    return { x, y, w, h };
  }

  get x(): number {
    return this.bounds().x;
  }
  get y(): number {
    return this.bounds().y;
  }
  get width(): number {
    return this.bounds().w;
  }
  get height(): number {
    return this.bounds().h;
  }

  /** Calls the behaviour's handler for `id` with this content first, as Piu delivers an event. */
  delegate(id: string, ...args: unknown[]): unknown {
    const b = this.#behavior;
    const f = b?.[id];
    return typeof f === 'function' ? f.call(b, this, ...args) : undefined;
  }
}
Object.freeze(Content.prototype);

export class Container extends Content {
  #contents: Content[] = [];

  constructor(behaviorData?: unknown, dictionary: Record<string, unknown> = {}) {
    super(behaviorData, dictionary);
    const list = dictionary?.contents;
    if (Array.isArray(list)) for (const c of list) if (c instanceof Content) this.add(c);
  }

  add(content: Content): void {
    if (content.container) throw new Error('Piu: content already in a container');
    Content.attach(content, this);
    this.#contents.push(content);
    markPorts(content);
  }

  remove(content: Content): void {
    const i = this.#contents.indexOf(content);
    if (i < 0) throw new Error('Piu: not a content of this container');
    this.#contents.splice(i, 1);
    Content.attach(content, undefined);
  }

  get length(): number {
    return this.#contents.length;
  }
  get first(): Content | undefined {
    return this.#contents[0];
  }
  get last(): Content | undefined {
    return this.#contents[this.#contents.length - 1];
  }
  content(at: number): Content | undefined {
    return this.#contents[at];
  }
  get children(): Content[] {
    return [...this.#contents];
  }
}
Object.freeze(Container.prototype);

export class Application extends Container {
  constructor(behaviorData?: unknown, dictionary: Record<string, unknown> = {}) {
    super(behaviorData, dictionary);
    const s = state();
    if (s.application) throw new Error('Piu: one application at a time');
    s.application = this;
    markPorts(this);
  }
}
Object.freeze(Application.prototype);

/** Every port of a subtree that reaches the application must be drawn in the next frame. */
function markPorts(content: Content): void {
  if (!screen || !displayed(content)) return;
  if (content instanceof Port) screen.invalid.add(content);
  if (content instanceof Container) for (const c of content.children) markPorts(c);
}

function displayed(content: Content): boolean {
  let c: Content | undefined = content;
  while (c && !(c instanceof Application)) c = c.container;
  return c !== undefined && c === screen?.application;
}

export class Port extends Content {
  invalidate(): void {
    if (screen && displayed(this)) screen.invalid.add(this);
  }

  #drawing(): { port: Port; ops: DrawOp[]; clips: Rect[] } {
    const d = state().drawing;
    if (!d || d.port !== this) throw new Error('Piu: a port draws only inside its onDraw');
    return d;
  }

  fillColor(color: string, x: number, y: number, width: number, height: number): void {
    const d = this.#drawing();
    d.ops.push({ op: 'fill', color: String(color), x: this.x + x, y: this.y + y, w: width, h: height });
  }

  drawString(text: string, style: Style, color: string, x: number, y: number, width: number, height: number): void {
    const d = this.#drawing();
    if (!(style instanceof Style)) throw new TypeError('Piu: drawString needs a style');
    const op: DrawOp = {
      op: 'text',
      text: String(text),
      color: String(color),
      font: style.font,
      align: style.horizontal,
      x: this.x + x,
      y: this.y + y,
      w: width,
      h: height,
    };
    const clip = d.clips[d.clips.length - 1];
    if (clip) op.clip = { ...clip };
    d.ops.push(op);
  }

  pushClip(x?: number, y?: number, width?: number, height?: number): void {
    const d = this.#drawing();
    const outer = d.clips[d.clips.length - 1] ?? this.bounds();
    if (x === undefined) {
      d.clips.push({ ...outer });
      return;
    }
    const gx = this.x + x;
    const gy = this.y + (y ?? 0);
    const x0 = Math.max(outer.x, gx);
    const y0 = Math.max(outer.y, gy);
    const x1 = Math.min(outer.x + outer.w, gx + (width ?? 0));
    const y1 = Math.min(outer.y + outer.h, gy + (height ?? 0));
    d.clips.push({ x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) });
  }

  popClip(): void {
    const d = this.#drawing();
    if (d.clips.pop() === undefined) throw new Error('Piu: popClip without pushClip');
  }

  measureString(text: string, style: Style): { width: number; height: number } {
    if (!(style instanceof Style)) throw new TypeError('Piu: measureString needs a style');
    const size = /(\d+)px/.exec(style.font);
    const px = size ? Number(size[1]) : 16;
    return { width: Math.ceil(String(text).length * px * 0.55), height: Math.ceil(px * 1.4) };
  }
}
Object.freeze(Port.prototype);

function ports(content: Content, out: Port[]): Port[] {
  if (content instanceof Port) out.push(content);
  if (content instanceof Container) for (const c of content.children) ports(c, out);
  return out;
}

function fills(content: Content, out: DrawOp[]): void {
  if (!content.visible) return;
  const b = content.bounds();
  if (content.skin?.fill !== undefined) out.push({ op: 'fill', color: content.skin.fill, x: b.x, y: b.y, w: b.w, h: b.h });
  if (content instanceof Port) out.push(...(screen?.drawn.get(content) ?? []));
  if (content instanceof Container) for (const c of content.children) fills(c, out);
}

/** Draws the invalidated ports (as Piu updates the screen once the run loop is idle); the frame on screen. */
export function updateScreen(): Frame {
  const s = state();
  const app = s.application;
  if (!app || s.invalid.size === 0) return s.frame;
  for (const port of ports(app, [])) {
    if (!s.invalid.has(port)) continue;
    s.invalid.delete(port);
    const b = port.bounds();
    s.drawing = { port, ops: [], clips: [] };
    try {
      port.delegate('onDraw', 0, 0, b.w, b.h);
      if (s.drawing.clips.length) throw new Error('Piu: onDraw returned with a clip still pushed');
      s.drawn.set(port, s.drawing.ops);
    } catch (e) {
      uncaught(e, 'Piu onDraw');
    } finally {
      s.drawing = undefined;
    }
  }
  const ops: DrawOp[] = [];
  fills(app, ops);
  s.frame = { count: s.frame.count + 1, ops };
  return s.frame;
}

function hit(content: Content, x: number, y: number): Content | undefined {
  if (!content.visible) return undefined;
  const b = content.bounds();
  if (x < b.x || y < b.y || x >= b.x + b.w || y >= b.y + b.h) return undefined;
  if (content instanceof Container) {
    const children = content.children;
    for (let i = children.length - 1; i >= 0; i--) {
      const h = hit(children[i]!, x, y);
      if (h) return h;
    }
  }
  return content.active ? content : undefined;
}

/** A finger on the screen: began, moved, ended or cancelled, touch `id`, global (x, y). */
export function touch(phase: 'began' | 'moved' | 'ended' | 'cancelled', x: number, y: number, id = 0): boolean {
  const s = state();
  const ticks = vm().ticks;
  let target: Content | undefined;
  if (phase === 'began') {
    target = s.application ? hit(s.application, x, y) : undefined;
    if (!target) return false;
    s.touches.set(id, target);
  } else {
    target = s.touches.get(id);
    if (!target) return false;
    if (phase !== 'moved') s.touches.delete(id);
  }
  const handler = { began: 'onTouchBegan', moved: 'onTouchMoved', ended: 'onTouchEnded', cancelled: 'onTouchCancelled' }[phase];
  try {
    if (phase === 'cancelled') target.delegate(handler, id);
    else target.delegate(handler, id, x, y, ticks);
  } catch (e) {
    uncaught(e, `Piu ${handler}`);
  }
  return true;
}

// Piu's globals, as its preloaded module defines them (modules/piu/All/piuAll.js).
const g = globalThis as unknown as Record<string, unknown>;
g.Behavior = Behavior;
g.Skin = Skin;
g.Style = Style;
g.Texture = Texture;
g.Content = Content;
g.Container = Container;
g.Port = Port;
g.Application = Application;
