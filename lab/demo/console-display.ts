// The device screen drawn as a text box on a stream, answered from a script (one answer per interactive
// screen: yes, no, cancel, select, pick:N, text:VALUE), so a demo or a lab run finishes on its own.
import type { Display, DisplayCapabilities, InputEvent, Screen } from '../../agent/ports.js';

export function parseAnswer(line: string): InputEvent[] {
  const a = line.trim();
  if (a === 'yes' || a === 'no' || a === 'cancel' || a === 'select' || a === 'submit') return [{ kind: a }];
  if (a.startsWith('pick:')) return a.slice(5).split(',').map((n) => ({ kind: 'pick' as const, index: Number(n) - 1 })).concat();
  if (a.startsWith('text:')) return [{ kind: 'text', value: a.slice(5) }, { kind: 'submit' }];
  throw new Error(`answer '${line}' is not one of yes, no, cancel, select, submit, pick:N[,M], text:VALUE`);
}

export class ConsoleDisplay implements Display {
  readonly capabilities: DisplayCapabilities = { width: 240, height: 320, columns: 26, rows: 14, keys: 3, touch: false, maxTextLength: 2048 };
  private listener?: (e: InputEvent) => void;

  constructor(private readonly out: NodeJS.WritableStream, private readonly answers: string[]) {}

  onInput(listener: (e: InputEvent) => void): void { this.listener = listener; }

  render(screen: Screen): void {
    const w = this.capabilities.columns;
    const row = (s: string) => `│ ${s.padEnd(w).slice(0, w)} │`;
    const lines = [`┌${'─'.repeat(w + 2)}┐`, row(screen.title.toUpperCase()), row('')];
    for (const l of screen.lines) lines.push(row(l));
    if (screen.kind === 'confirm') lines.push(row(''), row(`[${screen.yes}]   [${screen.no}]`));
    if (screen.kind === 'choice') screen.options.forEach((o, i) => lines.push(row(`${i === screen.cursor ? '>' : ' '} ${screen.multiple ? (o.selected ? '[x] ' : '[ ] ') : ''}${o.label}`)));
    if (screen.kind === 'input') lines.push(row(`> ${screen.value}_`));
    if (screen.kind === 'progress') {
      const n = screen.total > 0 ? Math.round((screen.done / screen.total) * (w - 7)) : 0;
      lines.push(row(`${'█'.repeat(n)}${'░'.repeat(w - 7 - n)} ${screen.total > 0 ? Math.round((100 * screen.done) / screen.total) : 0}%`));
    }
    lines.push(`└${'─'.repeat(w + 2)}┘`);
    this.out.write(lines.join('\n') + '\n');
    const interactive = screen.kind === 'confirm' || screen.kind === 'choice' || screen.kind === 'input';
    if (interactive && this.answers.length > 0) {
      const answer = this.answers.shift()!;
      this.out.write(`  (user: ${answer})\n`);
      setTimeout(() => { for (const e of parseAnswer(answer)) this.listener?.(e); }, 10);
    }
  }
}
