// Pure layout for a small screen (240x320 reference): word-wrapped lines, pages of text, a scrolling window
// over choice lists. Columns and rows come from the Display port's capabilities.

/** Wraps text to `columns`, breaking on spaces; words longer than a line are cut. Explicit newlines kept. */
export function wrap(text: string, columns: number): string[] {
  const width = Math.max(1, columns);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      let w = word;
      while (w.length > width) {
        if (line) {
          out.push(line);
          line = '';
        }
        out.push(w.slice(0, width));
        w = w.slice(width);
      }
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += ` ${w}`;
      else {
        out.push(line);
        line = w;
      }
    }
    out.push(line);
  }
  return out;
}

/** Splits lines into pages of `rows` lines (at least one page). */
export function paginate(lines: string[], rows: number): string[][] {
  const per = Math.max(1, rows);
  const pages: string[][] = [];
  for (let i = 0; i < lines.length; i += per) pages.push(lines.slice(i, i + per));
  return pages.length ? pages : [[]];
}

/** First visible option so that `cursor` stays inside a window of `visible` rows. */
export function scrollWindow(first: number, cursor: number, visible: number, total: number): number {
  const v = Math.max(1, visible);
  let f = first;
  if (cursor < f) f = cursor;
  if (cursor >= f + v) f = cursor - v + 1;
  return Math.max(0, Math.min(f, Math.max(0, total - v)));
}
