// Scriptable server behaviour, so device makers can reproduce what a production server does to their
// device: which UI alerts it sends (texts, option strings such as 'MINDT=2&MAXDT=30&DR=0'), which answers
// it expects, and which failures it injects. The schema is documented in lab/server/README.md.
import { readFileSync } from 'node:fs';
import { DmError } from '../../agent/errors.js';
import { unknownField } from '../../agent/description/parse.js';
import { withDefined } from '../../agent/util/options.js';

/** One UI alert: Item 1 carries `options`, Item 2 the text (DM Protocol §UI alerts). */
export interface UiText {
  text: string;
  options: string;
}

export type ConfirmExpectation = 'yes' | 'no' | 'any';

export interface ExtraUiAlert {
  /** 1100 display, 1101 confirm, 1102 text input, 1103 single choice, 1104 multiple choice. */
  alert: '1100' | '1101' | '1102' | '1103' | '1104';
  text: string;
  options: string;
  choices: string[];
  /** Status the device should answer with (e.g. 200, 304); a different one is logged as a deviation. */
  expectStatus?: number;
}

export type Failure =
  | { kind: 'reject-credentials-once' }
  | { kind: 'drop-connection-at-message'; message: number; times: number; session?: number }
  | { kind: 'http-500-at-message'; message: number; times: number; session?: number }
  | { kind: 'delay-ms'; ms: number; message?: number }
  | { kind: 'corrupt-package'; component?: string }
  | { kind: 'abort-session'; message: number }
  | { kind: 'no-update' };

export interface Scenario {
  name: string;
  description?: string;
  ui: {
    /** 1100 sent with the inventory Get of a user request; null = none. */
    checking: UiText | null;
    /** 1100 when nothing newer exists (user requests only); null = Final alone. */
    upToDate: UiText | null;
    /** 1101 when exactly one update exists. Placeholders: {name} {version} {current} {id}. */
    confirm: UiText & { expect: ConfirmExpectation };
    /** 1103 when several exist: one option per update ("{name} {version}") and a last one for all of them. */
    choice: UiText & { allLabel: string; expect?: number };
    /** 1100 after the user said No. */
    postponed: UiText | null;
    /** Sent before the confirm/choice, answers recorded (e.g. a 1102 PIN prompt). */
    extra: ExtraUiAlert[];
  };
  /** SCOMO operation the deployment Execs. */
  operation: 'DownloadInstall' | 'DownloadInstallInactive' | 'Download';
  failures: Failure[];
}

export const DEFAULT_SCENARIO: Scenario = {
  name: 'default',
  ui: {
    checking: { text: 'Checking for updates…', options: 'MINDT=2' },
    upToDate: { text: 'Your software is up to date.', options: 'MINDT=3' },
    confirm: { text: 'Install {name} {version}?', options: 'MAXDT=60&DR=0', expect: 'any' },
    choice: { text: 'Updates are available. Install which?', options: 'MAXDT=60&DR=1', allLabel: 'All of them' },
    postponed: { text: 'Update postponed.', options: 'MINDT=2' },
    extra: [],
  },
  operation: 'DownloadInstall',
  failures: [],
};

const MAX_DELAY_MS = 60000;
const UI_CODES: Record<string, ExtraUiAlert['alert']> = {
  '1100': '1100',
  '1101': '1101',
  '1102': '1102',
  '1103': '1103',
  '1104': '1104',
  display: '1100',
  confirm: '1101',
  input: '1102',
  single: '1103',
  multiple: '1104',
};
/** What a DM client parses in option strings (DM Protocol UI options). */
const OPTION = /^(MINDT|MAXDT|DR|MAXLEN|IT|ET)=[^&=]*$/;

function bad(message: string): never {
  throw new DmError('DM_ERR_CONFIG', 400, `scenario: ${message}`);
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`${where} must be an object`);
  return v as Record<string, unknown>;
}

/** Refuses a key not in `known`, naming its path and the nearest known one (a typo is not ignored). */
function only(o: Record<string, unknown>, where: string, known: readonly string[]): void {
  const u = unknownField(o, where === '' ? '' : `${where}.`, known);
  if (u !== undefined) {
    const device = where === '' && 'devInfo' in o ? ' (this is a device description, not a scenario)' : '';
    bad(`${u}${device}`);
  }
}

const UI_TEXT = ['text', 'options'];

function str(o: Record<string, unknown>, key: string, where: string, fallback?: string): string {
  const v = o[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') bad(`${where}.${key} must be a string`);
  return v;
}

function options(o: Record<string, unknown>, where: string, fallback: string): string {
  const v = str(o, 'options', where, fallback);
  if (v !== '' && !v.split('&').every((p) => OPTION.test(p))) {
    bad(`${where}.options '${v}' is not an option string like 'MINDT=2&MAXDT=30&DR=0'`);
  }
  return v;
}

function posInt(o: Record<string, unknown>, key: string, where: string, fallback?: number, max = 1000): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) bad(`${where}.${key} must be an integer from 1 to ${max}`);
  return v;
}

function uiText(v: unknown, where: string, def: UiText | null): UiText | null {
  if (v === null || v === false) return null;
  if (v === undefined) return def;
  const o = obj(v, where);
  only(o, where, UI_TEXT);
  return { text: str(o, 'text', where, def?.text), options: options(o, where, def?.options ?? '') };
}

function parseFailure(v: unknown, where: string): Failure {
  const o = typeof v === 'string' ? { kind: v } : obj(v, where);
  const kind = str(o, 'kind', where);
  const fields: Record<string, string[]> = {
    'drop-connection-at-message': ['message', 'times', 'session'],
    'http-500-at-message': ['message', 'times', 'session'],
    'abort-session': ['message'],
    'delay-ms': ['ms', 'message'],
    'corrupt-package': ['component'],
  };
  if (typeof v !== 'string') only(o, where, ['kind', ...(fields[kind] ?? [])]);
  switch (kind) {
    case 'reject-credentials-once':
    case 'no-update':
      return { kind };
    case 'drop-connection-at-message':
    case 'http-500-at-message':
      // `session`: the device's nth session with this server (1 = the first); without it, any session.
      return withDefined(
        { kind, message: posInt(o, 'message', where), times: posInt(o, 'times', where, 1) },
        { session: o.session !== undefined ? posInt(o, 'session', where) : undefined },
      );
    case 'abort-session':
      return { kind, message: posInt(o, 'message', where) };
    case 'delay-ms': {
      const f: Failure = { kind, ms: posInt(o, 'ms', where, undefined, MAX_DELAY_MS) };
      if (o.message !== undefined) f.message = posInt(o, 'message', where);
      return f;
    }
    case 'corrupt-package': {
      const f: Failure = { kind };
      if (o.component !== undefined) f.component = str(o, 'component', where);
      return f;
    }
    default:
      return bad(
        `${where}.kind '${kind}' is unknown (reject-credentials-once, drop-connection-at-message, ` +
          'http-500-at-message, delay-ms, corrupt-package, abort-session, no-update)',
      );
  }
}

function parseExtra(v: unknown, where: string): ExtraUiAlert {
  const o = obj(v, where);
  only(o, where, ['alert', 'text', 'options', 'choices', 'expectStatus']);
  const code = UI_CODES[String(o.alert)];
  if (!code) bad(`${where}.alert must be 1100..1104 or display/confirm/input/single/multiple`);
  const choices = o.choices ?? [];
  if (!Array.isArray(choices) || !choices.every((c) => typeof c === 'string')) bad(`${where}.choices must be a list of strings`);
  if ((code === '1103' || code === '1104') && choices.length === 0) bad(`${where}: a choice alert needs choices`);
  const e: ExtraUiAlert = { alert: code, text: str(o, 'text', where), options: options(o, where, ''), choices };
  if (o.expectStatus !== undefined) e.expectStatus = posInt(o, 'expectStatus', where, undefined, 599);
  return e;
}

/** Validates scenario JSON; anything left out takes the default. Errors name the offending field. */
export function parseScenario(json: unknown): Scenario {
  const o = obj(json, 'scenario');
  only(o, '', ['name', 'description', 'ui', 'operation', 'failures']);
  const d = DEFAULT_SCENARIO.ui;
  const ui = o.ui === undefined ? {} : obj(o.ui, 'ui');
  only(ui, 'ui', ['checking', 'upToDate', 'confirm', 'choice', 'postponed', 'extra']);
  const confirmRaw = ui.confirm === undefined ? {} : obj(ui.confirm, 'ui.confirm');
  only(confirmRaw, 'ui.confirm', [...UI_TEXT, 'expect']);
  const expect = confirmRaw.expect ?? 'any';
  if (expect !== 'yes' && expect !== 'no' && expect !== 'any') bad(`ui.confirm.expect must be 'yes', 'no' or 'any'`);
  const choiceRaw = ui.choice === undefined ? {} : obj(ui.choice, 'ui.choice');
  only(choiceRaw, 'ui.choice', [...UI_TEXT, 'allLabel', 'expect']);
  const choice: Scenario['ui']['choice'] = {
    text: str(choiceRaw, 'text', 'ui.choice', d.choice.text),
    options: options(choiceRaw, 'ui.choice', d.choice.options),
    allLabel: str(choiceRaw, 'allLabel', 'ui.choice', d.choice.allLabel),
  };
  if (choiceRaw.expect !== undefined) choice.expect = posInt(choiceRaw, 'expect', 'ui.choice');
  const extra = ui.extra ?? [];
  if (!Array.isArray(extra)) bad('ui.extra must be a list');
  const failures = o.failures ?? [];
  if (!Array.isArray(failures)) bad('failures must be a list');
  const operation = o.operation ?? 'DownloadInstall';
  if (operation !== 'DownloadInstall' && operation !== 'DownloadInstallInactive' && operation !== 'Download') {
    bad(`operation must be DownloadInstall, DownloadInstallInactive or Download`);
  }
  const s: Scenario = {
    name: str(o, 'name', 'scenario', 'unnamed'),
    ui: {
      checking: uiText(ui.checking, 'ui.checking', d.checking),
      upToDate: uiText(ui.upToDate, 'ui.upToDate', d.upToDate),
      confirm: {
        text: str(confirmRaw, 'text', 'ui.confirm', d.confirm.text),
        options: options(confirmRaw, 'ui.confirm', d.confirm.options),
        expect,
      },
      choice,
      postponed: uiText(ui.postponed, 'ui.postponed', d.postponed),
      extra: extra.map((x, i) => parseExtra(x, `ui.extra[${i}]`)),
    },
    operation,
    failures: failures.map((f, i) => parseFailure(f, `failures[${i}]`)),
  };
  if (typeof o.description === 'string') s.description = o.description;
  return s;
}

export function loadScenario(path: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    bad(`${path} cannot be read as JSON: ${(e as Error).message}`);
  }
  return parseScenario(json);
}

/** Fills {name}, {version}, {current}, {id}, {count} in a UI text. Unknown placeholders stay as written. */
export function fillText(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (values[k] !== undefined ? String(values[k]) : m));
}

/**
 * Tracks which injected failures have fired: each fires at most `times` (default once) per server, so a
 * device that retries after an injected failure gets through.
 */
export class FailurePlan {
  private readonly fired = new Map<Failure, number>();

  constructor(private readonly failures: Failure[]) {}

  has(kind: Failure['kind']): boolean {
    return this.failures.some((f) => f.kind === kind);
  }

  /**
   * The first unfired failure of `kind` that applies to device message `msgNo` of the device's session number
   * `sessionNo` (1 = its first with this server); marks it fired.
   */
  take<K extends Failure['kind']>(kind: K, msgNo?: number, sessionNo?: number): Extract<Failure, { kind: K }> | undefined {
    for (const f of this.failures) {
      if (f.kind !== kind) continue;
      const at = 'message' in f ? f.message : undefined;
      if (at !== undefined && at !== msgNo) continue;
      if ('session' in f && f.session !== undefined && f.session !== sessionNo) continue;
      const limit = 'times' in f ? f.times : kind === 'delay-ms' || kind === 'corrupt-package' || kind === 'no-update' ? Infinity : 1;
      const n = this.fired.get(f) ?? 0;
      if (n >= limit) continue;
      this.fired.set(f, n + 1);
      return f as Extract<Failure, { kind: K }>;
    }
    return undefined;
  }
}
