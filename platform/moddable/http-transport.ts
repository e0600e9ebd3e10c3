// The SyncML DM HTTP binding on the SDK's HTTP client (module "http", class Request): one POST per message to
// the server URI or the RespURI, Content-Type and Accept the message's MIME type, x-syncml-hmac when the
// account uses HMAC, TLS through the SDK's SecureSocket for https. The reply arrives in fragments into a
// buffer bounded by the MaxMsgSize the device announced. The client has no timeout of its own, so a Timer
// closes the request. Failures before any response (connection refused or reset, 502-504) are retried a
// bounded number of times with doubling delays; everything else rejects with a TransportError.
import { Request } from 'http';
import SecureSocket from 'securesocket';
import Timer from 'timer';
import type { InboundMessage, Log, OutboundMessage, Transport } from '../../agent/ports.js';
import { DmError, errorMessage } from '../../agent/errors.js';
import { TransportError, transportError } from './lib/transport-error.js';
import { BodyFragments, BoundedBody, backoffDelays, shouldRetry, statusRetryable } from './lib/http-policy.js';
import { parseEndpoint, type Endpoint } from './lib/url.js';

/** Callback messages of Request, as numbered in the SDK's documentation/network/network.md. */
export const HTTP_MSG = { bodyFragment: 0, status: 1, header: 2, headersComplete: 3, fragment: 4, complete: 5 } as const;

export interface HttpTransportOptions {
  /** Whole exchange, default 30000 ms. */
  timeoutMs?: number;
  /** Attempts after the first, default 2. */
  retries?: number;
  /** First delay between attempts, default 500 ms, doubled each time. */
  retryDelayMs?: number;
  /** Largest reply accepted (the MaxMsgSize the device announces). */
  maxReplyBytes: number;
  /** DER certificate of a private CA for https; absent = the SDK's certificate store. */
  certificate?: ArrayBuffer | HostBuffer;
  log?: Log;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    Timer.set(() => resolve(), ms);
  });
}

/** The Request dictionary: the Socket's dictionary plus the HTTP properties (network.md, securesocket.md). */
export function requestDictionary(
  ep: Endpoint,
  method: string,
  headers: string[],
  certificate?: ArrayBuffer | HostBuffer,
): Record<string, unknown> {
  const d: Record<string, unknown> = { host: ep.host, port: ep.port, path: ep.path, method, headers };
  if (ep.secure) {
    d.Socket = SecureSocket;
    d.secure = certificate ? { protocolVersion: 0x303, certificate } : { protocolVersion: 0x303 };
  }
  return d;
}

/**
 * The SDK's client does its socket work (writing the request, reading the reply, calling our callback) inside
 * the socket's callback, where an exception is uncaught and aborts the VM: on the Linux simulator a refused
 * connection is reported as connected and the first write throws; a full flash throws in a download's write.
 * Wrapped, such a throw ends this request with a transport error. The socket is the client's `socket`
 * property (modules/network/http/http.js); without it nothing is wrapped.
 */
export function guardSocketCallback(request: Request, fail: (why: string) => void): void {
  const socket = (request as unknown as { socket?: { callback?: (message: number, value?: number) => unknown } }).socket;
  const inner = socket?.callback;
  if (!socket || typeof inner !== 'function') return;
  socket.callback = (message: number, value?: number) => {
    try {
      return inner(message, value);
    } catch (e) {
      fail(errorMessage(e));
      return undefined;
    }
  };
}

export class HttpTransport implements Transport {
  private readonly timeoutMs: number;
  private readonly delays: number[];

  constructor(private readonly o: HttpTransportOptions) {
    this.timeoutMs = o.timeoutMs ?? 30000;
    const retries = o.retries ?? 2;
    if (!(this.timeoutMs > 0)) throw new DmError('DM_ERR_CONFIG', 400, `HttpTransport: timeoutMs must be > 0, not ${this.timeoutMs}`);
    if (!(Number.isInteger(retries) && retries >= 0 && retries <= 10))
      throw new DmError('DM_ERR_CONFIG', 400, 'HttpTransport: retries must be 0..10');
    this.delays = backoffDelays(o.retryDelayMs ?? 500, retries);
  }

  async exchange(msg: OutboundMessage): Promise<InboundMessage> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(msg);
      } catch (e) {
        const info = e instanceof TransportError ? e.info : undefined;
        if (!shouldRetry(info, attempt, this.delays.length)) throw e;
        this.o.log?.log('warn', `HTTP attempt ${attempt + 1} failed, retrying: ${info!.message}`);
        await sleep(this.delays[attempt]!);
      }
    }
  }

  private once(msg: OutboundMessage): Promise<InboundMessage> {
    const ep = parseEndpoint(msg.uri, ['http', 'https']);
    const headers = ['Content-Type', msg.contentType, 'Accept', msg.contentType, 'Cache-Control', 'no-store'];
    if (msg.hmac) headers.push('x-syncml-hmac', msg.hmac);
    headers.push('Content-Length', String(msg.body.length));
    const dict = requestDictionary(ep, 'POST', headers, this.o.certificate);
    // Fragments as the socket has room (BodyFragments says why); Content-Length is ours to send then.
    dict.body = true;
    const out = new BodyFragments(msg.body);
    return new Promise<InboundMessage>((resolve, reject) => {
      let status = 0;
      let contentType: string | undefined;
      let hmac: string | undefined;
      const body = new BoundedBody(this.o.maxReplyBytes);
      let request: Request | undefined;
      let settled = false;
      const finish = (error?: TransportError, reply?: InboundMessage) => {
        if (settled) return;
        settled = true;
        Timer.clear(timer);
        try {
          request?.close();
        } catch {
          /* already closed */
        }
        if (error) reject(error);
        else resolve(reply!);
      };
      const timer = Timer.set(
        () => finish(transportError('timeout', `no reply from ${ep.host} within ${this.timeoutMs} ms`, status === 0)),
        this.timeoutMs,
      );
      try {
        request = new Request(dict);
      } catch (e) {
        finish(transportError('other', `${ep.host}: ${errorMessage(e)}`, true));
        return;
      }
      guardSocketCallback(request, (e) => finish(transportError('reset', `${ep.host}${ep.secure ? ' (TLS)' : ''}: ${e}`, status === 0)));
      const req = request;
      req.callback = (message: number, v1?: unknown, v2?: unknown) => {
        if (message === HTTP_MSG.bodyFragment) return settled ? undefined : out.next(Number(v1));
        if (settled) return;
        if (message === HTTP_MSG.status) status = Number(v1);
        else if (message === HTTP_MSG.header) {
          if (v1 === 'content-type') contentType = String(v2);
          else if (v1 === 'x-syncml-hmac') hmac = String(v2);
        } else if (message === HTTP_MSG.fragment) {
          const chunk = req.read(ArrayBuffer);
          if (!body.add(new Uint8Array(chunk))) {
            finish(transportError('other', `reply from ${ep.host} is larger than the ${body.limit} bytes this device accepts`, false));
          }
        } else if (message === HTTP_MSG.complete) {
          if (status < 200 || status > 299) {
            finish(transportError('http-status', `${ep.host} answered HTTP ${status}`, statusRetryable(status), status));
            return;
          }
          const reply: InboundMessage = { body: body.take() };
          if (contentType !== undefined) reply.contentType = contentType;
          if (hmac !== undefined) reply.hmac = hmac;
          finish(undefined, reply);
        } else if (message < 0) {
          // The SDK reports socket errors and a connection closed early alike; before a status line nothing
          // reached the server's application, so another attempt is safe.
          finish(
            transportError(
              'reset',
              `${ep.host}${ep.secure ? ' (TLS)' : ''}: connection failed${status ? ' during the reply' : ''}`,
              status === 0,
            ),
          );
        }
      };
    });
  }
}
