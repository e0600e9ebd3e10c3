// Seeded mutations of SyncML messages, byte-level (for both decoders) and text-level (for XML: numbers,
// entities, nesting, duplicated or dropped elements). Deterministic for a seed, so a finding replays.

/** mulberry32: small, fast, and enough for choosing mutations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0, 1, 2, 3, 0x7f, 0x80, 0x81, 0xff, 0x40, 0x41, 0xc3, 0x83, 0x04, 0x00];

export function mutateBytes(input: Uint8Array, rnd: () => number, pool: Uint8Array[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  const pick = (n: number) => Math.floor(rnd() * n);
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    const at = b.length ? pick(b.length) : 0;
    switch (pick(9)) {
      case 0:
        if (b.length) b[at] = b[at]! ^ (1 << pick(8));
        break;
      case 1:
        if (b.length) b[at] = INTERESTING[pick(INTERESTING.length)]!;
        break;
      case 2: {
        const ins = Uint8Array.from({ length: 1 + pick(8) }, () => (rnd() < 0.5 ? INTERESTING[pick(INTERESTING.length)]! : pick(256)));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      case 3:
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + pick(32))));
        break;
      case 4: {
        const len = 1 + pick(64);
        b = concat(b.subarray(0, at), b.subarray(at, at + len), b.subarray(at));
        break;
      }
      case 5:
        b = b.subarray(0, at);
        break;
      case 6: {
        const other = pool[pick(pool.length)]!;
        const o = pick(other.length + 1);
        b = concat(b.subarray(0, at), other.subarray(o, o + 1 + pick(128)));
        break;
      }
      case 7:
        if (b.length > 4) {
          const v = pick(2) ? 0x7f : 0xff;
          for (let i = 0; i < 1 + pick(6) && at + i < b.length; i++) b[at + i] = v;
        }
        break;
      default:
        if (b.length) b[at] = (b[at]! + 1 + pick(3)) & 0xff;
    }
  }
  return b;
}

/** Text-level mutations of an XML message: the kinds of malformation a parser's edge cases hide in. */
export function mutateXml(text: string, rnd: () => number): string {
  const pick = (n: number) => Math.floor(rnd() * n);
  let s = text;
  const rounds = 1 + pick(3);
  for (let r = 0; r < rounds; r++) {
    const tags = [...s.matchAll(/<([A-Za-z]+)[^>]*>/g)];
    const t = tags.length ? tags[pick(tags.length)]! : undefined;
    switch (pick(11)) {
      case 0:
        s = s.replace(/>(\d+)</, () => `>${['-1', '0', '99999999999999999999', '1e9', '', ' 1 ', '0x10'][pick(7)]}<`);
        break;
      case 1:
        if (t) s = s.slice(0, t.index) + s.slice(t.index! + t[0].length);
        break; // an unclosed element
      case 2: {
        const m = /<(Item|Alert|Replace|Get|Status|Exec|Add)>[\s\S]*?<\/\1>/.exec(s.slice(pick(s.length)));
        if (m) s = s.replace(m[0], m[0] + m[0]);
        break;
      } // a duplicated command or item
      case 3:
        s = s.replace(
          /<Data>/,
          `<Data>${['&amp;', '&#0;', '&#xD800;', '&#1114112;', '&bogus;', '&#x41', '<![CDATA[x]]>', ']]>'][pick(8)]}`,
        );
        break;
      case 4: {
        const depth = 1 + pick(60);
        s = s.replace('<SyncBody>', `<SyncBody>${'<Atomic><CmdID>9</CmdID>'.repeat(depth)}${'</Atomic>'.repeat(depth)}`);
        break;
      }
      case 5:
        s = s.replace(
          /<LocURI>[^<]*<\/LocURI>/,
          `<LocURI>${['', './', '../x', './SCOMO/../DMAcc', '/abs', `./${'a/'.repeat(40)}`, './DevInfo/DevId/x', 'http://evil/'][pick(8)]}</LocURI>`,
        );
        break;
      case 6:
        s = s.replace(/<SessionID>[^<]*</, `<SessionID>${['', 'FFFF', '1A2C', 'x'.repeat(300)][pick(4)]}<`);
        break;
      case 7:
        s = s.replace(/<\/SyncBody>/, pick(2) ? '' : '<Final/><Final/></SyncBody>');
        break;
      case 8:
        s = s.replace(/<MsgRef>\d+</, `<MsgRef>${pick(5)}<`).replace(/<CmdRef>\d+</, `<CmdRef>${pick(20)}<`);
        break;
      case 9: {
        // a command wrapped in one to three containers: the paths that go deepest in the session
        const m = /<(Add|Replace|Delete|Get|Exec|Alert|Copy)>[\s\S]*?<\/\1>/.exec(s.slice(pick(s.length)));
        if (!m) break;
        let w = m[0];
        for (let k = 1 + pick(3); k > 0; k--) {
          const c = pick(2) ? 'Sequence' : 'Atomic';
          w = `<${c}><CmdID>${90 + k}</CmdID>${w}</${c}>`;
        }
        s = s.replace(m[0], w);
        break;
      }
      default: {
        const at = pick(s.length);
        s = s.slice(0, at) + ['<', '>', '&', '"', '\u0000', '\uFFFF', '<!DOCTYPE x [<!ENTITY a "b">]>', '<?pi?>'][pick(8)] + s.slice(at);
      }
    }
  }
  return s;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
