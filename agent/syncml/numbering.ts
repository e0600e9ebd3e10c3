// CmdIDs are unique within a message: numbered 1.. (or from `first`) in order, nested commands included.
import type { Command } from './model.js';

export function numberCommands(cmds: Command[], first = 1): Command[] {
  return numbered(cmds, { next: first });
}

function numbered(list: Command[], counter: { next: number }): Command[] {
  const out: Command[] = [];
  for (const c of list) {
    const copy = { ...c } as Command;
    copy.cmdId = String(counter.next++);
    if (copy.kind === 'Atomic' || copy.kind === 'Sequence') copy.commands = numbered(copy.commands, counter);
    out.push(copy);
  }
  return out;
}
