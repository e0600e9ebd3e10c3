// A device's state folder belongs to one process at a time, since two agents on one folder would tear each
// other's files. DIR/lock holds the pid of the process that has the folder.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Another process has the state folder: two agents on one folder would tear each other's files. */
export class StateInUseError extends Error {
  override name = 'StateInUseError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the state folder for this process: DIR/lock, made exclusively, holds its pid. A folder whose lock names
 * a live process is refused (StateInUseError); a lock left by a process that is gone (killed, crashed) is taken
 * over. Returns the function that gives the folder back.
 */
export function lockStateDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'lock');
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      let text = '';
      try { text = readFileSync(file, 'utf8'); } catch { /* gone meanwhile: try again */ }
      const pid = Number.parseInt(text, 10);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new StateInUseError(`state folder ${dir} is in use by process ${pid} (${file}); wait for it to end, or give another --state`);
      }
      rmSync(file, { force: true });
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      process.off('exit', release);
      rmSync(file, { force: true });
    };
    process.on('exit', release);
    return release;
  }
}

