// CmdIDs are unique within a message: numbered 1.. (or from `first`) in order, nested commands included.
import type { Command } from './model.js';

export function numberCommands(cmds: Command[], first = 1): Command[] {
  let n = first - 1;
  const walk = (list: Command[]): Command[] => list.map((c) => {
    const copy = { ...c } as Command;
    copy.cmdId = String(++n);
    if (copy.kind === 'Atomic' || copy.kind === 'Sequence') copy.commands = walk(copy.commands);
    return copy;
  });
  return walk(cmds);
}
