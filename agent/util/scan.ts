// Checks of text from the server written as loops instead of regular expressions. XS's regular-expression
// matcher keeps one backtracking state per repetition of a greedy `*` or `+` (xsre.c, fxPushState): first in
// the free part of the 640-slot stack, then one C `malloc` each. A 16 KiB value matched against `\S+` asks
// the ESP32's C heap for some 450 kB, and a failed `malloc` there aborts the VM. These loops use no memory.
// test/agent/util/scan.test.ts holds the rule: no unbounded quantifier in a regular expression of agent/ or
// platform/moddable/ unless its input is bounded.

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A to Z or a to z. */
export function isAsciiLetter(c: number): boolean {
  const lower = c | 32;
  return lower >= 97 && lower <= 122;
}

/** What JavaScript's `\s` matches. */
export function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** The index after the run of ASCII digits that starts at `i`. */
export function digitsEnd(s: string, i: number): number {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** One or more ASCII digits and nothing else (`/^\d+$/`). */
export function isDigits(s: string): boolean {
  return s.length > 0 && digitsEnd(s, 0) === s.length;
}

/** True when `s` has a character `\s` matches at or after `from`. */
export function hasSpace(s: string, from = 0): boolean {
  for (let i = from; i < s.length; i++) if (isSpace(s.charCodeAt(i))) return true;
  return false;
}

/** `scheme://` for one of `schemes` (as written, case and all), then at least one character, none of them white space. */
export function isUrlOf(s: string, schemes: readonly string[]): boolean {
  for (const scheme of schemes) {
    const head = scheme.length + 3;
    if (s.length > head && s.startsWith(scheme) && s.startsWith('://', scheme.length)) return !hasSpace(s, head);
  }
  return false;
}

/** A DM `float` (`/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/`). */
export function isFloatText(s: string): boolean {
  let i = 0;
  const sign = () => {
    if (s[i] === '+' || s[i] === '-') i++;
  };
  sign();
  const intEnd = digitsEnd(s, i);
  const whole = intEnd > i;
  i = intEnd;
  let fraction = false;
  if (s[i] === '.') {
    const fracEnd = digitsEnd(s, i + 1);
    fraction = fracEnd > i + 1;
    i = fracEnd;
  }
  if (!whole && !fraction) return false;
  if (s[i] === 'e' || s[i] === 'E') {
    i++;
    sign();
    const expEnd = digitsEnd(s, i);
    if (expEnd === i) return false;
    i = expEnd;
  }
  return i === s.length;
}

/** Exactly `n` digits at `i`: the index after them, or -1. */
function fixedDigits(s: string, i: number, n: number): number {
  for (let k = 0; k < n; k++) if (!isDigit(s.charCodeAt(i + k))) return -1;
  return i + n;
}

/** A DM `time` (`/^\d{2}:?\d{2}:?\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/`). */
export function isTimeText(s: string): boolean {
  let i = 0;
  for (let part = 0; part < 3; part++) {
    if (part > 0 && s[i] === ':') i++;
    i = fixedDigits(s, i, 2);
    if (i < 0) return false;
  }
  if (s[i] === '.') {
    const end = digitsEnd(s, i + 1);
    if (end === i + 1) return false;
    i = end;
  }
  if (s[i] === 'Z') i++;
  else if (s[i] === '+' || s[i] === '-') {
    i = fixedDigits(s, i + 1, 2);
    if (i < 0) return false;
    if (s[i] === ':') i++;
    i = fixedDigits(s, i, 2);
    if (i < 0) return false;
  }
  return i === s.length;
}

/** `s` without the copies of `ch` (one character) at its end. */
export function trimEndChar(s: string, ch: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === ch) end--;
  return s.slice(0, end);
}

/** One or more hexadecimal digits and nothing else (`/^[0-9a-fA-F]+$/`). */
export function isHexDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const lower = c | 32;
    if (!isDigit(c) && !(lower >= 97 && lower <= 102)) return false;
  }
  return true;
}

/** A code point XML 1.0 allows in a document (its Char production): what a character reference may name. */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 9 ||
    cp === 10 ||
    cp === 13 ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}
