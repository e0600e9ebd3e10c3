// The session fuzzer's check of what the device sends: its messages are kept with the case each came from,
// and validated against the DM 1.2 DTD by xmllint in batches (one process per 500 messages, not per message).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dm12Dtd } from '../helpers/peers.js';
import { xmllintVerdicts } from './libxml2-target.js';

export const DTD_BATCH = 500;

export class DtdBatch<Case> {
  /** Where the session target puts what the device sends. */
  readonly sent: Uint8Array[] = [];
  private readonly cases: Case[] = [];

  /** The messages sent since the last call came from `c`. */
  tie(c: Case): void {
    while (this.cases.length < this.sent.length) this.cases.push(c);
  }

  get full(): boolean {
    return this.sent.length >= DTD_BATCH;
  }

  /** Validates the messages kept, tells `refused` of each the DTD refuses, and starts a new batch. */
  check(refused: (c: Case, why: string) => void): void {
    const dir = mkdtempSync(join(tmpdir(), 'dm-dtd-'));
    try {
      const files = this.sent.map((b, k) => {
        const f = join(dir, `${k}.xml`);
        writeFileSync(f, b);
        return f;
      });
      xmllintVerdicts(files, ['--dtdvalid', dm12Dtd()]).forEach((why, k) => {
        if (why !== undefined) refused(this.cases[k]!, why);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    this.sent.length = 0;
    this.cases.length = 0;
  }
}
