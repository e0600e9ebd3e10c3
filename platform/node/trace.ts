// A session trace for labs: wraps any Transport and writes every message, both directions, decoded to
// indented XML (WBXML included), with its size and time.
import { appendFileSync } from 'node:fs';
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

export function traceToFile(path: string): (text: string) => void {
  return (text) => appendFileSync(path, text);
}
