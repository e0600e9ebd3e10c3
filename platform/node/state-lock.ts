// A device's state folder belongs to one process at a time, since two agents on one folder would tear each
// other's files. DIR/lock holds the pid of the process that has the folder.
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Makes `file` exclusively with the content of `from`: a hard link, or where there are none, open and write. */
function create(from: string, file: string): void {
  try {
    linkSync(from, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
    writeFileSync(file, readFileSync(from), { flag: 'wx' });
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
  // The lock appears with its pid in it (a link to a file written first), never empty: a reader that found
  // it empty could take a live process's lock for a stale one.
  const mine = join(dir, `lock.${process.pid}`);
  writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        create(mine, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        /* gone meanwhile: try again */
      }
      const pid = Number.parseInt(text, 10);
      if (attempt > 0 || (Number.isInteger(pid) && pid > 0 && alive(pid))) {
        throw new StateInUseError(`state folder ${dir} is in use by process ${pid} (${file}); wait for it to end, or give another --state`);
      }
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(mine, { force: true });
  }
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
