// A session trace for labs: wraps any Transport and writes every message, both directions, decoded to
// indented XML (WBXML included), with its size and time.
import { appendFileSync, closeSync, openSync } from 'node:fs';
import type { Transport } from '../../agent/ports.js';
import { formatMessage } from '../../agent/syncml/codec.js';

export function tracedTransport(inner: Transport, write: (text: string) => void): Transport {
  const fmt = (b: Uint8Array) => {
    try {
      return formatMessage(b);
    } catch (e) {
      return `(undecodable: ${(e as Error).message})\n`;
    }
  };
  return {
    exchange: async (msg) => {
      write(`── device → ${msg.uri} (${new Date().toISOString()}, ${msg.body.length} bytes, ${msg.contentType})\n${fmt(msg.body)}`);
      const reply = await inner.exchange(msg);
      write(`── server → device (${new Date().toISOString()}, ${reply.body.length} bytes)\n${fmt(reply.body)}`);
      return reply;
    },
    close: () => inner.close?.(),
  };
}

/**
 * A trace writer that appends to `path`. The file is opened (made if absent) here, so that one that cannot be
 * written fails the caller at once, naming the file and the reason, and not the first exchange of a session
 * (which would fail as a transport error, with its alert left queued).
 */
export function traceToFile(path: string): (text: string) => void {
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw new Error(`cannot write the trace to ${path}: ${(e as Error).message}`);
  }
  return (text) => appendFileSync(path, text);
}
