// The SyncML DM HTTP binding on node:http/https: one POST per message to msg.uri (the server URI or the
// RespURI the session chose), Content-Type and Accept the message's MIME type, x-syncml-hmac when the account
// uses HMAC. Connection-level failures before any response are retried with back-off; everything else is a
// TransportError the agent turns into a clean session failure (the alerts stay queued).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { InboundMessage, OutboundMessage, Transport, TransportErrorInfo } from '../../agent/ports.js';
import { certificateRefusal, TransportError } from './transport-error.js';
import { withDefined } from '../../agent/util/options.js';

export { TransportError };

export interface HttpTransportOptions {
  timeoutMs?: number; // whole exchange, default 30000
  connectTimeoutMs?: number; // default 10000
  retries?: number; // default 2
  retryDelayMs?: number; // default 500, doubled per retry
  /**
   * Largest reply body taken, default 1 MiB: a server that sends more (or never stops) gets its connection
   * closed, not the host's memory. Far above any MaxMsgSize; the decoder refuses what passes the session's.
   */
  maxReplyBytes?: number;
  ca?: string | Buffer;
  sleep?: (ms: number) => Promise<void>;
}

export class HttpTransport implements Transport {
  private readonly o: Required<Omit<HttpTransportOptions, 'ca'>> & { ca?: string | Buffer };

  constructor(opts: HttpTransportOptions = {}) {
    const o = {
      timeoutMs: 30000,
      connectTimeoutMs: 10000,
      retries: 2,
      retryDelayMs: 500,
      maxReplyBytes: 1 << 20,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
      ...opts,
    };
    for (const k of ['timeoutMs', 'connectTimeoutMs', 'retryDelayMs', 'maxReplyBytes'] as const) {
      if (!(o[k] > 0)) throw new Error(`HttpTransport: ${k} must be > 0, not ${o[k]}`);
    }
    if (!(Number.isInteger(o.retries) && o.retries >= 0 && o.retries <= 10)) throw new Error(`HttpTransport: retries must be 0..10`);
    this.o = o;
  }

  async exchange(msg: OutboundMessage): Promise<InboundMessage> {
    let delay = this.o.retryDelayMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(msg);
      } catch (e) {
        const info = e instanceof TransportError ? e.info : undefined;
        if (!info?.retryable || attempt >= this.o.retries) throw e;
        await this.o.sleep(delay);
        delay *= 2;
      }
    }
  }

  private once(msg: OutboundMessage): Promise<InboundMessage> {
    return new Promise((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(msg.uri);
      } catch {
        reject(new TransportError({ kind: 'other', message: `'${msg.uri}' is not a URL`, retryable: false }));
        return;
      }
      const headers: Record<string, string | number> = {
        'Content-Type': msg.contentType,
        Accept: msg.contentType,
        'Content-Length': msg.body.length,
        'Cache-Control': 'no-store',
      };
      if (msg.hmac) headers['x-syncml-hmac'] = msg.hmac;
      const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
      let gotResponse = false;
      const fail = (kind: TransportErrorInfo['kind'], message: string, retryable: boolean, httpStatus?: number) => {
        reject(new TransportError(withDefined({ kind, message, retryable }, { httpStatus })));
      };
      const req = make(url, withDefined({ method: 'POST', headers }, { ca: this.o.ca }), (res) => {
        gotResponse = true;
        const chunks: Buffer[] = [];
        let received = 0;
        const tooLarge = (what: string) => {
          clearTimeout(overall);
          req.destroy();
          fail('other', `reply from ${url.host} ${what}, more than the ${this.o.maxReplyBytes} bytes taken`, false);
        };
        const announced = Number(res.headers['content-length']);
        if (announced > this.o.maxReplyBytes) {
          tooLarge(`announces ${announced} bytes`);
          return;
        }
        res.on('data', (c: Buffer) => {
          received += c.length;
          if (received > this.o.maxReplyBytes) tooLarge('goes on past the limit');
          else chunks.push(c);
        });
        res.on('error', (e) => fail('reset', `reply from ${url.host} cut: ${e.message}`, false));
        res.on('aborted', () => fail('reset', `reply from ${url.host} cut`, false));
        res.on('end', () => {
          clearTimeout(overall);
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            fail('http-status', `${url.host} answered HTTP ${status}`, status === 502 || status === 503 || status === 504, status);
            return;
          }
          const body = new Uint8Array(Buffer.concat(chunks));
          const reply: InboundMessage = { body };
          const ct = res.headers['content-type'];
          if (ct) reply.contentType = ct;
          const h = res.headers['x-syncml-hmac'];
          if (typeof h === 'string') reply.hmac = h;
          resolve(reply);
        });
      });
      const overall = setTimeout(() => {
        req.destroy();
        fail('timeout', `no reply from ${url.host} within ${this.o.timeoutMs} ms`, !gotResponse);
      }, this.o.timeoutMs);
      req.setTimeout(this.o.connectTimeoutMs, () => {
        if (!gotResponse) {
          req.destroy();
          clearTimeout(overall);
          fail('timeout', `${url.host}: connect/idle timeout`, true);
        }
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(overall);
        if (gotResponse) return;
        const refusal = certificateRefusal(e, url.host);
        if (refusal) {
          reject(refusal);
          return;
        }
        const kind =
          e.code === 'ECONNREFUSED'
            ? 'refused'
            : e.code === 'ECONNRESET'
              ? 'reset'
              : /CERT|SSL|TLS/.test(e.code ?? e.message)
                ? 'tls'
                : 'other';
        fail(kind, `${url.host}: ${e.message}`, kind === 'refused' || kind === 'reset');
      });
      req.end(Buffer.from(msg.body));
    });
  }
}
