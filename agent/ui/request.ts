// A server UI alert (1100-1104) parsed into what the device must show and how it may answer
// (DM Protocol 1.2 §2.5.2 alerts, §2.5.3 options).
import type { AlertCmd } from '../syncml/model.js';
import { AlertCode } from '../syncml/model.js';
import { DmError } from '../errors.js';
import { utf8Decode } from '../util/bytes.js';
import { digitsEnd, isDigit, isDigits } from '../util/scan.js';

export type UiKind = 'display' | 'confirm' | 'input' | 'single' | 'multiple';
/** IT: A alphanumeric, N numeric, D date (DDMMYYYY), T time (hhmmss), P phone, I IPv4. */
export type InputType = 'A' | 'N' | 'D' | 'T' | 'P' | 'I';

export interface UiRequest {
  kind: UiKind;
  text: string;
  choices: string[];
  /** MINDT, seconds. */
  minDisplay?: number;
  /** MAXDT, seconds. */
  maxDisplay?: number;
  /** DR as sent (percent-decoded). */
  defaultResponse?: string;
  maxLength?: number;
  inputType: InputType;
  echo: 'T' | 'P';
}

const KINDS: Record<string, UiKind> = {
  [AlertCode.Display]: 'display',
  [AlertCode.Confirm]: 'confirm',
  [AlertCode.TextInput]: 'input',
  [AlertCode.SingleChoice]: 'single',
  [AlertCode.MultipleChoice]: 'multiple',
};

function bad(msg: string, status = 400): DmError {
  return new DmError('DM_ERR_UI', status, msg);
}

/** RFC 2396 URL decoding of an option value ('+' is a space, as in the standard's DR=John+Doe). */
function urlDecode(v: string): string {
  const s = v.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(s);
  } catch {
    throw bad(`option value '${v}' is not URL-encoded correctly`);
  }
}

function positive(name: string, v: string): number {
  if (!/^\d{1,6}$/.test(v) || Number(v) <= 0) throw bad(`${name}=${v}: must be a positive integer`);
  return Number(v);
}

/** Parses a UI alert; throws DmError 412 (missing Items) or 400 (malformed options / DR). */
export function parseUiAlert(alert: AlertCmd): UiRequest {
  const kind = KINDS[alert.data ?? ''];
  if (!kind) throw bad(`alert ${alert.data} is not a user interaction alert`, 406);
  const needed = kind === 'single' || kind === 'multiple' ? 3 : 2;
  if (alert.items.length < needed) {
    throw bad(
      `alert ${alert.data} needs ${needed} Items (options, text${needed === 3 ? ', choices' : ''}), got ${alert.items.length}`,
      412,
    );
  }
  const text = (item: number) => {
    const d = alert.items[item]?.data;
    return d === undefined ? '' : typeof d === 'string' ? d : utf8Decode(d);
  };
  const req: UiRequest = { kind, text: text(1), choices: [], inputType: 'A', echo: 'T' };
  for (let i = 2; i < alert.items.length; i++) req.choices.push(text(i));
  const options = text(0).trim();
  if (options !== '') {
    for (const pair of options.split('&')) {
      const eq = pair.indexOf('=');
      const name = (eq < 0 ? pair : pair.slice(0, eq)).toUpperCase();
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      switch (name) {
        case 'MINDT':
          req.minDisplay = positive(name, value);
          break;
        case 'MAXDT':
          req.maxDisplay = positive(name, value);
          break;
        case 'DR':
          req.defaultResponse = urlDecode(value);
          break;
        case 'MAXLEN':
          req.maxLength = positive(name, value);
          break;
        case 'IT':
          if (!/^[ANDTPI]$/.test(value)) throw bad(`IT=${value}: input type must be one of A N D T P I`);
          req.inputType = value as InputType;
          break;
        case 'ET':
          if (value !== 'T' && value !== 'P') throw bad(`ET=${value}: echo type must be T or P`);
          req.echo = value;
          break;
        default:
          break; // §2.5.3: options the client cannot process are skipped without error
      }
    }
  }
  if (req.defaultResponse !== undefined) checkDefault(req);
  return req;
}

function checkDefault(req: UiRequest): void {
  const dr = req.defaultResponse!;
  if (req.kind === 'confirm' && dr !== '0' && dr !== '1') throw bad(`DR=${dr}: a confirm default is 0 (reject) or 1 (accept)`);
  if (req.kind === 'single') defaultIndexes(req);
  if (req.kind === 'multiple') defaultIndexes(req);
}

/** The 1-based choice indexes a DR names ('2' for single choice, '1-3' for multiple). */
export function defaultIndexes(req: UiRequest): number[] {
  const dr = req.defaultResponse ?? '';
  const parts = dr.split('-');
  if (req.kind === 'single' && parts.length !== 1) throw bad(`DR=${dr}: a single choice default is one index`);
  const out = parts.map((p) => {
    if (!isDigits(p) || Number(p) < 1 || Number(p) > req.choices.length)
      throw bad(`DR=${dr}: index ${p} is not a choice (1..${req.choices.length})`);
    return Number(p);
  });
  return [...new Set(out)];
}

/** IT=N: digits with an optional sign and decimal point (`/^[+-]?\d*\.?\d*$/`). */
function isNumberText(v: string): boolean {
  let i = digitsEnd(v, v[0] === '+' || v[0] === '-' ? 1 : 0);
  if (v[i] === '.') i = digitsEnd(v, i + 1);
  return i === v.length;
}

/** IT=P: digits, p, w and s, with an optional leading + (`/^\+?[\dpws]*$/`). */
function isPhoneText(v: string): boolean {
  for (let i = v[0] === '+' ? 1 : 0; i < v.length; i++) {
    const c = v[i]!;
    if (!isDigit(v.charCodeAt(i)) && c !== 'p' && c !== 'w' && c !== 's') return false;
  }
  return true;
}

/** Checks typed input against IT and MAXLEN; returns why it is refused, or undefined. */
export function inputProblem(req: UiRequest, value: string): string | undefined {
  if (req.maxLength !== undefined && value.length > req.maxLength) return `at most ${req.maxLength} characters`;
  // A, N and P scan in loops: a default response comes from the server and may be long (see util/scan.ts).
  const ok: Record<InputType, (v: string) => boolean> = {
    A: () => true,
    N: isNumberText,
    D: (v) => /^(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{4}$/.test(v),
    T: (v) => /^([01]\d|2[0-3])[0-5]\d[0-5]\d$/.test(v),
    P: isPhoneText,
    I: (v) => /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(v),
  };
  if (!ok[req.inputType](value)) {
    const what: Record<InputType, string> = {
      A: 'text',
      N: 'a number',
      D: 'a date DDMMYYYY',
      T: 'a time hhmmss',
      P: 'a phone number',
      I: 'an IPv4 address',
    };
    return `must be ${what[req.inputType]}`;
  }
  return undefined;
}
