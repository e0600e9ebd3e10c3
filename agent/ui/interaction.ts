// Renders server UI alerts on the device display and turns the user's keys into the Status and Items the DM
// standard asks for (table in agent/ui/README.md). One interaction at a time; timers through the Clock port.
import type { Clock, Display, InputEvent, Log, Screen, TimerHandle } from '../ports.js';
import type { AlertCmd, Item } from '../syncml/model.js';
import type { UiAnswer, UiResponder } from '../session/types.js';
import { DmError } from '../errors.js';
import { defaultIndexes, inputProblem, parseUiAlert, type UiRequest } from './request.js';
import { paginate, scrollWindow, wrap } from './layout.js';

export interface UserInteractionOptions {
  display?: Display;
  clock: Clock;
  log?: Log;
  /**
   * How long to wait for the user when the server gave no MAXDT. The standard sets no limit; an unattended
   * device must not hold a session open for ever, so this is a checked, non-zero default (300 s).
   */
  defaultMaxWaitSeconds?: number;
}

const TITLES: Record<UiRequest['kind'], string> = {
  display: 'Message',
  confirm: 'Please confirm',
  input: 'Input',
  single: 'Choose one',
  multiple: 'Choose',
};

export class UserInteraction implements UiResponder {
  declare private readonly display?: Display;
  declare private readonly clock: Clock;
  declare private readonly log?: Log;
  declare private readonly maxWait: number;
  declare private active?: Interaction;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(o: UserInteractionOptions) {
    const maxWait = o.defaultMaxWaitSeconds ?? 300;
    if (!(maxWait > 0)) throw new DmError('DM_ERR_CONFIG', 400, `defaultMaxWaitSeconds must be > 0, not ${maxWait}`);
    this.maxWait = maxWait;
    this.clock = o.clock;
    if (o.log) this.log = o.log;
    if (o.display) {
      this.display = o.display;
      o.display.onInput((ev) => this.active?.onEvent(ev));
    }
  }

  /** Answers one UI alert; concurrent calls wait their turn. */
  answer(alert: AlertCmd): Promise<UiAnswer> {
    const run = this.chain.then(() => this.run(alert));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private run(alert: AlertCmd): Promise<UiAnswer> {
    let req: UiRequest;
    try {
      req = parseUiAlert(alert);
    } catch (e) {
      const err = e instanceof DmError ? e : new DmError('DM_ERR_UI', 400, String(e));
      this.log?.log('warn', `UI alert refused: ${err.message}`, { status: err.status });
      return Promise.resolve({ status: err.status, items: [] });
    }
    if (!this.display) return Promise.resolve({ status: 406, items: [] });
    const caps = this.display.capabilities;
    const length = req.text.length + req.choices.reduce((n, c) => n + c.length, 0);
    if (length > caps.maxTextLength) return Promise.resolve({ status: 416, items: [] });
    return new Promise((resolve) => {
      this.active = new Interaction(
        req,
        this.display!,
        this.clock,
        req.maxDisplay ?? this.maxWait,
        (a) => {
          this.active = undefined;
          resolve(a);
        },
        () => this.onTimeout(req),
      );
    });
  }

  /** MAXDT elapsed: the server's default response when it gave one (DR), else 408 (§2.5.3.2 allows either). */
  private onTimeout(req: UiRequest): UiAnswer {
    this.log?.log('info', `user did not answer within ${req.maxDisplay ?? this.maxWait} s`);
    if (req.kind === 'display') return { status: 200, items: [] };
    if (req.defaultResponse === undefined) return { status: 408, items: [] };
    switch (req.kind) {
      case 'confirm':
        return { status: req.defaultResponse === '1' ? 200 : 304, items: [] };
      case 'input':
        return { status: 200, items: [{ data: req.defaultResponse }] };
      default:
        return answerWith(defaultIndexes(req));
    }
  }

  /** Long press: the user picks one deployed component; undefined when cancelled or not answered. */
  async pickComponent(components: { id: string; name: string; version: string }[]): Promise<string | undefined> {
    if (components.length === 0) return undefined;
    const alert: AlertCmd = {
      kind: 'Alert',
      cmdId: 'local',
      data: '1103',
      items: [{ data: 'MAXDT=30' }, { data: 'Check for updates of' }, ...components.map((c) => ({ data: `${c.name} ${c.version}` }))],
    };
    const a = await this.answer(alert);
    if (a.status !== 200) return undefined;
    const index = Number(a.items[0]?.data);
    return components[index - 1]?.id;
  }

  showProgress(title: string, done: number, total: number): void {
    if (!this.active) this.display?.render({ kind: 'progress', title, lines: [], done, total });
  }

  showMessage(title: string, text: string): void {
    if (!this.active && this.display) this.display.render({ kind: 'idle', title, lines: wrap(text, this.display.capabilities.columns) });
  }
}

/**
 * One UI alert on the screen, from the first draw to the answer, as a state machine:
 *
 *            (MINDT given)                 MINDT elapsed
 *   start ─────────────────► showing ─────────────────────────► waiting ──┐
 *     │                         │  (a display alert: done, 200)            │ the user answers,
 *     │ (no MINDT)              │ the user answers                         │ or MAXDT elapses
 *     └─────────────────────────┼────────────────────────► waiting         ▼
 *                               ▼                                         done
 *                             held ── MINDT elapsed: the held answer ──►  done
 *
 * MINDT keeps the screen up at least that long: an answer given earlier is held, and the screen still takes
 * keys, a later answer replacing it. MAXDT ends the wait in any phase with the server's default response or
 * 408 (onTimeout). Keys that do not answer (paging, moving, typing) redraw.
 */
type InteractionPhase = 'showing' | 'held' | 'waiting' | 'done';

class Interaction {
  declare private phase: InteractionPhase;
  declare private held?: UiAnswer;
  private readonly timers: TimerHandle[] = [];
  declare private readonly pages: string[][];
  /** Rows of the choice list that fit under the prompt. */
  declare private readonly visible: number;
  private page = 0;
  private cursor = 0;
  /** First choice row shown (the list scrolls with the cursor). */
  private first = 0;
  private value = '';
  /** Why the last submission was refused, shown under the text until the next key. */
  private error = '';
  private readonly selected = new Set<number>();

  declare private readonly req: UiRequest;
  declare private readonly display: Display;
  declare private readonly clock: Clock;
  declare private readonly resolve: (a: UiAnswer) => void;

  constructor(
    req: UiRequest,
    display: Display,
    clock: Clock,
    maxWaitSeconds: number,
    resolve: (a: UiAnswer) => void,
    timeoutAnswer: () => UiAnswer,
  ) {
    this.req = req;
    this.display = display;
    this.clock = clock;
    this.resolve = resolve;
    const caps = display.capabilities;
    const lines = wrap(req.text, caps.columns);
    const choices = req.kind === 'single' || req.kind === 'multiple';
    // Choice screens keep a few rows for the prompt; the rest scrolls the options.
    const textRows = choices ? Math.max(1, Math.min(lines.length, Math.floor(caps.rows / 3))) : Math.max(1, caps.rows - 2);
    this.pages = paginate(lines, textRows);
    this.visible = Math.max(1, caps.rows - textRows - 1);
    if (req.defaultResponse !== undefined && choices) {
      const defaults = defaultIndexes(req);
      this.cursor = defaults.length > 0 ? defaults.reduce((a, b) => Math.min(a, b)) - 1 : 0;
      if (req.kind === 'multiple') for (const i of defaults) this.selected.add(i - 1);
    }
    if (req.kind === 'input' && req.defaultResponse !== undefined) this.value = req.defaultResponse;
    this.phase = req.minDisplay === undefined ? 'waiting' : 'showing';
    if (req.minDisplay !== undefined) this.timers.push(clock.setTimeout(() => this.minDisplayElapsed(), req.minDisplay * 1000));
    this.timers.push(clock.setTimeout(() => this.end(timeoutAnswer()), maxWaitSeconds * 1000));
    this.render();
  }

  onEvent(ev: InputEvent): void {
    if (this.phase === 'done') return;
    const req = this.req;
    this.error = '';
    switch (ev.kind) {
      case 'next-page':
        this.page = Math.min(this.pages.length - 1, this.page + 1);
        break;
      case 'prev-page':
        this.page = Math.max(0, this.page - 1);
        break;
      case 'cancel':
        if (req.kind !== 'display') this.answered({ status: 214, items: [] });
        break;
      case 'up':
        this.cursor = Math.max(0, this.cursor - 1);
        break;
      case 'down':
        this.cursor = Math.min(Math.max(0, req.choices.length - 1), this.cursor + 1);
        break;
      case 'text':
        if (req.kind === 'input') this.value = ev.value;
        break;
      case 'pick':
        if (ev.index < 0 || ev.index >= req.choices.length) break;
        this.cursor = ev.index;
        if (req.kind === 'single') this.answered(answerWith([this.cursor + 1]));
        else if (req.kind === 'multiple') toggle(this.selected, this.cursor);
        break;
      case 'yes':
      case 'no':
      case 'select':
      case 'submit':
      case 'back':
        this.decide(ev.kind);
        break;
    }
    // A key can end the interaction, which TypeScript's narrowing above cannot see.
    if ((this.phase as InteractionPhase) !== 'done') this.render();
  }

  /**
   * What a deciding key means for this kind of alert: an answer, a toggle, or a refusal shown on screen.
   * Back and No cancel (214) every kind that asks for something but a confirmation, where No is the answer.
   */
  private decide(key: 'yes' | 'no' | 'select' | 'submit' | 'back'): void {
    const req = this.req;
    if (req.kind === 'display') return;
    if (req.kind === 'confirm') this.answered({ status: key === 'yes' || key === 'select' || key === 'submit' ? 200 : 304, items: [] });
    else if (key === 'back' || key === 'no') this.answered({ status: 214, items: [] });
    else if (req.kind === 'input') {
      const problem = inputProblem(req, this.value);
      if (problem) this.error = problem;
      else this.answered({ status: 200, items: [{ data: this.value }] });
    } else if (req.kind === 'single') this.answered(answerWith([this.cursor + 1]));
    else if (key === 'select') toggle(this.selected, this.cursor);
    else this.answered(answerWith([...this.selected].map((i) => i + 1).sort((a, b) => a - b)));
  }

  /** The user answered: at once while waiting; held until MINDT has passed before that (the latest answer). */
  private answered(a: UiAnswer): void {
    if (this.phase === 'showing' || this.phase === 'held') {
      this.phase = 'held';
      this.held = a;
    } else if (this.phase === 'waiting') {
      this.end(a);
    }
  }

  private minDisplayElapsed(): void {
    if (this.phase === 'held') this.end(this.held!);
    else if (this.phase === 'showing') {
      if (this.req.kind === 'display') this.end({ status: 200, items: [] });
      else this.phase = 'waiting';
    }
  }

  private end(a: UiAnswer): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.resolve(a);
  }

  private render(): void {
    const { req, display, pages, page } = this;
    const caps = display.capabilities;
    const text = (pages[page] ?? []).slice();
    if (this.error) text.push(`! ${this.error}`);
    const title = TITLES[req.kind];
    let screen: Screen;
    if (req.kind === 'display')
      screen = { kind: 'text', title, lines: text, page, pages: pages.length, actions: pages.length > 1 ? ['more'] : [] };
    else if (req.kind === 'confirm') screen = { kind: 'confirm', title, lines: text, page, pages: pages.length, yes: 'Yes', no: 'No' };
    else if (req.kind === 'input') {
      screen = {
        kind: 'input',
        title,
        lines: text,
        value: req.echo === 'P' ? '*'.repeat(this.value.length) : this.value,
        masked: req.echo === 'P',
        inputType: req.inputType,
        maxLength: req.maxLength ?? caps.columns * 2,
      };
    } else {
      this.first = scrollWindow(this.first, this.cursor, this.visible, req.choices.length);
      screen = {
        kind: 'choice',
        title,
        lines: text,
        multiple: req.kind === 'multiple',
        cursor: this.cursor,
        first: this.first,
        options: req.choices.map((label, i) => ({ label, selected: this.selected.has(i) })),
      };
    }
    display.render(screen);
  }
}

function toggle(set: Set<number>, i: number): void {
  if (set.has(i)) set.delete(i);
  else set.add(i);
}

function answerWith(indexes: number[]): UiAnswer {
  const items: Item[] = indexes.map((i) => ({ data: String(i) }));
  return { status: 200, items };
}
