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
  display: 'Message', confirm: 'Please confirm', input: 'Input', single: 'Choose one', multiple: 'Choose',
};

interface Active {
  onEvent(ev: InputEvent): void;
}

export class UserInteraction implements UiResponder {
  private readonly display?: Display;
  private readonly clock: Clock;
  private readonly log?: Log;
  private readonly maxWait: number;
  private active?: Active;
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
    return new Promise((resolve) => this.interact(req, resolve));
  }

  private interact(req: UiRequest, resolve: (a: UiAnswer) => void): void {
    const display = this.display!;
    const caps = display.capabilities;
    const lines = wrap(req.text, caps.columns);
    const choiceRows = req.kind === 'single' || req.kind === 'multiple';
    // Choice screens keep a few rows for the prompt; the rest scrolls the options.
    const textRows = choiceRows ? Math.max(1, Math.min(lines.length, Math.floor(caps.rows / 3))) : Math.max(1, caps.rows - 2);
    const pages = paginate(lines, textRows);
    const visible = Math.max(1, caps.rows - textRows - 1);
    let page = 0;
    let cursor = 0;
    let first = 0;
    let value = '';
    let error = '';
    const selected = new Set<number>();
    if (req.defaultResponse !== undefined && choiceRows) {
      for (const i of defaultIndexes(req)) selected.add(i - 1);
      cursor = Math.min(...[...selected]);
      if (req.kind === 'single') selected.clear();
    }
    if (req.kind === 'input' && req.defaultResponse !== undefined) value = req.defaultResponse;

    let minElapsed = req.minDisplay === undefined;
    let pending: UiAnswer | undefined;
    let done = false;
    const timers: TimerHandle[] = [];
    const finish = (a: UiAnswer) => {
      if (done) return;
      if (!minElapsed) { pending = a; return; } // MINDT: the screen stays at least that long
      done = true;
      for (const t of timers) this.clock.clearTimeout(t);
      this.active = undefined;
      resolve(a);
    };
    if (req.minDisplay !== undefined) {
      timers.push(this.clock.setTimeout(() => {
        minElapsed = true;
        if (pending) finish(pending);
        else if (req.kind === 'display') finish({ status: 200, items: [] });
      }, req.minDisplay * 1000));
    }
    timers.push(this.clock.setTimeout(() => {
      if (done) return;
      minElapsed = true;
      finish(this.onTimeout(req));
    }, (req.maxDisplay ?? this.maxWait) * 1000));

    const render = () => {
      const text = [...(pages[page] ?? [])];
      if (error) text.push(`! ${error}`);
      let screen: Screen;
      const title = TITLES[req.kind];
      if (req.kind === 'display') screen = { kind: 'text', title, lines: text, page, pages: pages.length, actions: pages.length > 1 ? ['more'] : [] };
      else if (req.kind === 'confirm') screen = { kind: 'confirm', title, lines: text, page, pages: pages.length, yes: 'Yes', no: 'No' };
      else if (req.kind === 'input') {
        screen = { kind: 'input', title, lines: text, value: req.echo === 'P' ? '*'.repeat(value.length) : value,
          masked: req.echo === 'P', inputType: req.inputType, maxLength: req.maxLength ?? caps.columns * 2 };
      } else {
        first = scrollWindow(first, cursor, visible, req.choices.length);
        screen = { kind: 'choice', title, lines: text, multiple: req.kind === 'multiple', cursor, first,
          options: req.choices.map((label, i) => ({ label, selected: selected.has(i) })) };
      }
      display.render(screen);
    };

    this.active = {
      onEvent: (ev) => {
        if (done) return;
        error = '';
        switch (ev.kind) {
          case 'next-page': page = Math.min(pages.length - 1, page + 1); break;
          case 'prev-page': page = Math.max(0, page - 1); break;
          case 'cancel':
            if (req.kind !== 'display') finish({ status: 214, items: [] });
            break;
          case 'up': cursor = Math.max(0, cursor - 1); break;
          case 'down': cursor = Math.min(Math.max(0, req.choices.length - 1), cursor + 1); break;
          case 'text': if (req.kind === 'input') value = ev.value; break;
          case 'pick':
            if (ev.index < 0 || ev.index >= req.choices.length) break;
            cursor = ev.index;
            if (req.kind === 'single') finish(answerWith([cursor + 1]));
            else if (req.kind === 'multiple') toggle(selected, cursor);
            break;
          case 'yes': case 'no': case 'select': case 'submit': case 'back':
            this.decide(req, ev.kind, { cursor, value, selected }, finish, (e) => { error = e; });
            break;
        }
        if (!done) render();
      },
    };
    render();
  }

  private decide(req: UiRequest, key: 'yes' | 'no' | 'select' | 'submit' | 'back',
    s: { cursor: number; value: string; selected: Set<number> }, finish: (a: UiAnswer) => void, fail: (e: string) => void): void {
    switch (req.kind) {
      case 'display':
        return;
      case 'confirm':
        if (key === 'yes' || key === 'select' || key === 'submit') finish({ status: 200, items: [] });
        else finish({ status: 304, items: [] });
        return;
      case 'input': {
        if (key === 'back' || key === 'no') { finish({ status: 214, items: [] }); return; }
        const problem = inputProblem(req, s.value);
        if (problem) { fail(problem); return; }
        finish({ status: 200, items: [{ data: s.value }] });
        return;
      }
      case 'single':
        if (key === 'back' || key === 'no') { finish({ status: 214, items: [] }); return; }
        finish(answerWith([s.cursor + 1]));
        return;
      case 'multiple':
        if (key === 'back' || key === 'no') { finish({ status: 214, items: [] }); return; }
        if (key === 'select') { toggle(s.selected, s.cursor); return; }
        finish(answerWith([...s.selected].map((i) => i + 1).sort((a, b) => a - b)));
        return;
    }
  }

  /** MAXDT elapsed: the server's default response when it gave one (DR), else 408 (§2.5.3.2 allows either). */
  private onTimeout(req: UiRequest): UiAnswer {
    this.log?.log('info', `user did not answer within ${req.maxDisplay ?? this.maxWait} s`);
    if (req.kind === 'display') return { status: 200, items: [] };
    if (req.defaultResponse === undefined) return { status: 408, items: [] };
    switch (req.kind) {
      case 'confirm': return { status: req.defaultResponse === '1' ? 200 : 304, items: [] };
      case 'input': return { status: 200, items: [{ data: req.defaultResponse }] };
      default: return answerWith(defaultIndexes(req));
    }
  }

  /** Long press: the user picks one deployed component; undefined when cancelled or not answered. */
  async pickComponent(components: { id: string; name: string; version: string }[]): Promise<string | undefined> {
    if (components.length === 0) return undefined;
    const alert: AlertCmd = {
      kind: 'Alert', cmdId: 'local', data: '1103', items: [
        { data: 'MAXDT=30' }, { data: 'Check for updates of' },
        ...components.map((c) => ({ data: `${c.name} ${c.version}` })),
      ],
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

function toggle(set: Set<number>, i: number): void {
  if (set.has(i)) set.delete(i); else set.add(i);
}

function answerWith(indexes: number[]): UiAnswer {
  const items: Item[] = indexes.map((i) => ({ data: String(i) }));
  return { status: 200, items };
}
