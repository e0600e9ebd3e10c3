// How every fuzz target keeps a finding: its message, and when the run saves findings, its input as a file
// under test/fuzz/regressions/, which `npm test` replays (fuzz.test.ts, by the file's name).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FuzzReport } from './fuzz.js';

const regressions = join(new URL('.', import.meta.url).pathname, 'regressions');

/** Adds the finding to `findings`; with `save`, writes its input as regressions/<name>. */
export function keepFinding(
  findings: FuzzReport['findings'],
  message: string,
  save: false | undefined | { name: string; data: Uint8Array | string },
): void {
  const f: FuzzReport['findings'][number] = { message };
  if (save) {
    mkdirSync(regressions, { recursive: true });
    f.file = join(regressions, save.name);
    writeFileSync(f.file, save.data);
  }
  findings.push(f);
}
