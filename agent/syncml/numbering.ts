// CmdIDs are unique within a message: numbered 1.. in order, nested commands included (they go on from
// `counter`, which callers leave out).
import type { Command } from './model.js';

function numbered(cmds: Command[], counter = { next: 1 }): Command[] {
  const out: Command[] = [];
  for (const c of cmds) {
    const copy = { ...c } as Command;
    copy.cmdId = String(counter.next++);
    if (copy.kind === 'Atomic' || copy.kind === 'Sequence') copy.commands = numbered(copy.commands, counter);
    out.push(copy);
  }
  return out;
}

export { numbered as numberCommands };
