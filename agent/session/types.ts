// Contracts between the session engine and what plugs into it (UI, Exec handlers).
import type { AlertCmd, Item } from '../syncml/model.js';
import type { DmTree, Principal } from '../tree/types.js';

/** The answer to a UI alert (1100-1104): the Status code and the Items that go in that Status. */
export interface UiAnswer {
  status: number;
  items: Item[];
}

/** Renders a server UI alert to the user and returns what the DM standard says to answer. */
export interface UiResponder {
  answer(alert: AlertCmd): Promise<UiAnswer>;
}

export interface ExecContext {
  uri: string;             // the executed node, normalised './…'
  correlator?: string;
  data?: string | Uint8Array; // Item/Data of the Exec, if any
  principal: Principal;    // server ID that sent it
  tree: DmTree;
}

/**
 * An Exec handler returns the Status code for the Exec: 200 when the work is done, 202 when it was
 * accepted and runs after the session (the result is reported later with a Generic Alert), or an
 * error status. It may throw a DmError, whose status is used.
 */
export type ExecHandler = (ctx: ExecContext) => Promise<number> | number;

/** Exec handlers by URI pattern; '*' matches exactly one path segment. */
export class ExecRegistry {
  private readonly entries: { parts: string[]; handler: ExecHandler }[] = [];

  register(pattern: string, handler: ExecHandler): void {
    this.entries.push({ parts: pattern.split('/'), handler });
  }

  find(uri: string): ExecHandler | undefined {
    const parts = uri.split('/');
    for (const e of this.entries) {
      if (e.parts.length !== parts.length) continue;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) ok = e.parts[i] === '*' || e.parts[i] === parts[i];
      if (ok) return e.handler;
    }
    return undefined;
  }
}
