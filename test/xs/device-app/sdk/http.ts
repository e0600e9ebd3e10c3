// Stand-in for the Request class of the SDK's "http" module (documentation/network/network.md, "class HTTP
// Request"; modules/network/http/http.js), over a socket of the machine's own whose far end is the host:
// the request, once written, goes to the host in one call (which answers it with the lab server, or with a
// connection error), and the reply comes back as socket events on the machine's run loop.
//
// What a script sees is the SDK client's behaviour:
// - the dictionary: host or address, port (80), path ("/"), method ("GET"), headers as a flat name/value
//   array, body (a string, an ArrayBuffer, or true to hand it over in fragments), response (String or
//   ArrayBuffer to get the whole body with the last message; undefined for fragments), Socket (another socket
//   class, e.g. SecureSocket, made with the dictionary);
// - the client's `socket` property, whose `callback` the socket calls with its own messages (connected,
//   writable, data, disconnected, error): code may wrap it, and an exception thrown from the request's
//   callback passes through it, uncaught unless wrapped;
// - callback(message, val1, val2) with the documented numbers: 0 requestFragment (val1: bytes the socket
//   takes now; answer a string or an ArrayBuffer, undefined at the end), 1 status, 2 header (lower-case name,
//   trimmed value), 3 headersComplete, 4 responseFragment (val1: bytes to read with read()), 5
//   responseComplete (val1: the body when `response` is set), -2 error (a socket error, or a connection closed
//   before the body was whole); bytes a fragment callback leaves unread are offered again with the next one;
// - read(type [, count]) inside a fragment callback: String, ArrayBuffer, Number (one byte) or null (skip);
//   read() alone answers the bytes available; close() ends the request at once, and no message follows.
//
// The socket takes SOCKET_ROOM bytes per write and delivers the reply SEGMENT bytes at a time: 1024, what
// the desktop simulator's socket takes and gives (platform/moddable/lib/http-policy.ts says why that matters).
// The network takes virtual time: CONNECT_MS to connect, REPLY_MS from the request's last byte to the status
// line, SEGMENT_MS between segments. When the host says the server cannot be reached, the socket fails as
// the host asks: with an error message (-2, as lwIP on the ESP32 reports a refused connection), or as the
// Linux simulator's socket does, which reports the connection as made and throws "write failed" from the
// first write, inside the socket's callback.
import { host, hostChecked, post } from './runtime.js';
import { bytesOf, decodeUtf8, encodeUtf8 } from './utf8.js';

export const SOCKET_ROOM = 1024;
export const SEGMENT = 1024;
export const CONNECT_MS = 5;
export const REPLY_MS = 20;
export const SEGMENT_MS = 1;

type RequestCallback = (message: number, val1?: unknown, val2?: unknown) => unknown;

interface Reply {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** Socket messages (documentation/network/network.md, "class Socket", callback). */
const SOCKET = { error: -2, disconnect: -1, connect: 1, data: 2, writable: 3 } as const;

export class Request {
  static readonly requestFragment = 0;
  static readonly status = 1;
  static readonly header = 2;
  static readonly headersComplete = 3;
  static readonly responseFragment = 4;
  static readonly responseComplete = 5;
  static readonly error = -2;

  callback?: RequestCallback;
  socket?: { callback: (message: number, value?: number) => unknown };

  /** 0 connecting, 1 sending, 3 waiting for the status, 4 headers, 5 body, 6 done, 11 closed (the SDK's numbers). */
  #state = 0;
  #host: string;
  #port: number;
  #method: string;
  #path: string;
  #headers: string[];
  #body: unknown;
  #response: unknown;
  #sent: Uint8Array[] = [];
  #reply?: Reply;
  /** Reply body bytes not yet handed to the script, and the window offered to the current fragment callback. */
  #pending = new Uint8Array(0);
  #window?: { bytes: Uint8Array; at: number };
  #buffers: Uint8Array[] = [];
  /** The connection was refused, but the socket reported it made (the Linux simulator): writes throw. */
  #writeFails = false;

  constructor(dictionary: Record<string, unknown>) {
    if (dictionary.socket) throw new Error('http stand-in: a Request on a server socket is not modelled');
    const d: Record<string, unknown> = { port: 80, method: 'GET', path: '/', ...dictionary };
    this.#host = String(d.host ?? d.address ?? '');
    this.#port = Number(d.port);
    this.#method = String(d.method);
    this.#path = String(d.path);
    this.#headers = Array.isArray(d.headers) ? (d.headers as unknown[]).map((h) => String(h)) : [];
    this.#body = d.body;
    this.#response = d.response;
    if (typeof d.Socket === 'function') new (d.Socket as new (x: object) => unknown)(d);
    this.socket = { callback: (message: number, value?: number) => this.#onSocket(message, value) };
    post(() => this.#connect(), CONNECT_MS);
  }

  /** The connection attempt: the host says whether the server can be reached. */
  #connect(): void {
    if (!this.socket) return;
    const refused = hostChecked('net.connect', { host: this.#host, port: this.#port }).reply.refused;
    if (refused === 'error') {
      this.socket.callback(SOCKET.error);
      return;
    }
    this.#writeFails = refused === 'write-throws';
    this.socket.callback(SOCKET.connect);
  }

  /** What the socket's write does with `bytes` (the request's head is written at connect, then the body). */
  #write(bytes?: Uint8Array, room = SOCKET_ROOM): void {
    if (this.#writeFails) throw new Error('write failed');
    if (bytes && bytes.length > room) throw new Error("can't write all data");
    if (bytes) this.#sent.push(bytes.slice());
  }

  /** An event from the socket: what the SDK's client does with it (http.js `callback`). */
  #onSocket(message: number, value?: number): void {
    if (this.#state >= 11) return;
    if (message === SOCKET.connect) {
      this.#write();
      this.#state = this.#body === undefined || this.#body === false ? 3 : 2;
      if (this.#state === 3) this.#send();
      else this.#onSocket(SOCKET.writable, SOCKET_ROOM);
    } else if (message === SOCKET.writable && this.#state === 2) {
      if (this.#body === true) {
        const piece = this.#call(Request.requestFragment, value);
        if (this.#state >= 11) return;
        if (piece !== undefined) {
          this.#write(typeof piece === 'string' ? encodeUtf8(piece) : bytesOf(piece, 'request body fragment'), value);
          post(() => this.socket?.callback(SOCKET.writable, SOCKET_ROOM));
          return;
        }
      } else {
        this.#write(typeof this.#body === 'string' ? encodeUtf8(this.#body) : bytesOf(this.#body, 'request body'), Infinity);
      }
      this.#state = 3;
      this.#send();
    } else if (message === SOCKET.data) {
      this.#receive();
    } else if (message < 0) {
      // The SDK: a connection closed before the body was whole (or with nothing) is an error.
      this.#done(!(message === SOCKET.disconnect && this.#state === 5 && this.#pending.length === 0));
    }
  }

  #call(message: number, val1?: unknown, val2?: unknown): unknown {
    return this.callback?.(message, val1, val2);
  }

  /** The request is written: the host answers it (or says the connection failed). */
  #send(): void {
    const headers = [...this.#headers];
    let length = false;
    let hostHeader = true;
    for (let i = 0; i < headers.length; i += 2) {
      const n = headers[i]!.toLowerCase();
      if (n === 'content-length') length = true;
      else if (n === 'host') hostHeader = false;
    }
    let size = 0;
    for (const p of this.#sent) size += p.length;
    const body = new Uint8Array(size);
    size = 0;
    for (const p of this.#sent) {
      body.set(p, size);
      size += p.length;
    }
    this.#sent = [];
    if (this.#body !== undefined && this.#body !== true && this.#body !== false && !length)
      headers.push('content-length', String(body.length));
    if (hostHeader) headers.push('Host', this.#host);
    const a = host('http', { host: this.#host, port: this.#port, method: this.#method, path: this.#path, headers }, body);
    if (typeof a.reply.error === 'string') {
      post(() => this.socket?.callback(SOCKET.error), REPLY_MS);
      return;
    }
    this.#reply = { status: a.reply.status as number, headers: a.reply.headers as [string, string][], body: a.payload };
    post(() => this.socket?.callback(SOCKET.data, a.payload.length), REPLY_MS);
  }

  /** The next piece of the reply: the status line and headers first, then the body a segment at a time. */
  #receive(): void {
    const reply = this.#reply!;
    if (this.#state === 3) {
      this.#state = 4;
      this.#call(Request.status, reply.status);
      if (this.#state >= 11) return;
      for (const [name, value] of reply.headers) {
        this.#call(Request.header, name.toLowerCase(), value.trim());
        if (this.#state >= 11) return;
      }
      this.#call(Request.headersComplete);
      if (this.#state >= 11) return;
      this.#state = 5;
      if (reply.body.length === 0) {
        post(() => this.#done(false));
        return;
      }
      post(() => this.socket?.callback(SOCKET.data, Math.min(SEGMENT, reply.body.length)), SEGMENT_MS);
      return;
    }
    if (this.#state !== 5) return;
    const segment = reply.body.subarray(0, SEGMENT);
    reply.body = reply.body.subarray(segment.length);
    const offered = new Uint8Array(this.#pending.length + segment.length);
    offered.set(this.#pending);
    offered.set(segment, this.#pending.length);
    if (this.#response !== undefined) {
      this.#buffers.push(offered);
      this.#pending = new Uint8Array(0);
    } else {
      this.#window = { bytes: offered, at: 0 };
      try {
        this.#call(Request.responseFragment, offered.length);
      } finally {
        const w = this.#window;
        this.#window = undefined;
        this.#pending = w.bytes.slice(w.at);
      }
      if (this.#state >= 11) return;
    }
    if (reply.body.length > 0) post(() => this.socket?.callback(SOCKET.data, Math.min(SEGMENT, reply.body.length)), SEGMENT_MS);
    // Everything arrived: whole when the script read it all; the server then closes the connection.
    else if (this.#pending.length === 0) post(() => this.#done(false));
    else post(() => this.socket?.callback(SOCKET.disconnect));
  }

  #done(error: boolean): void {
    if (this.#state >= 6) return;
    this.#state = 6;
    let data: unknown;
    if (!error && this.#response !== undefined) {
      let n = 0;
      for (const b of this.#buffers) n += b.length;
      const all = new Uint8Array(n);
      n = 0;
      for (const b of this.#buffers) {
        all.set(b, n);
        n += b.length;
      }
      data = this.#response === String ? decodeUtf8(all, false, false) : all.buffer;
    }
    try {
      this.#call(error ? Request.error : Request.responseComplete, data);
    } finally {
      this.close();
    }
  }

  read(type?: unknown, count?: unknown): unknown {
    const w = this.#window;
    if (!w) throw new Error('http read: only inside a response fragment callback');
    const available = w.bytes.length - w.at;
    if (type === undefined) return available;
    let n = type === Number ? 1 : count === undefined ? available : Math.max(0, Math.trunc(Number(count)) || 0);
    n = Math.min(n, available);
    const bytes = w.bytes.subarray(w.at, w.at + n);
    w.at += n;
    if (type === null) return n;
    if (type === Number) return n ? bytes[0] : undefined;
    if (type === String) return decodeUtf8(bytes, false, false);
    return bytes.slice().buffer;
  }

  close(): void {
    this.#state = 11;
    this.socket = undefined;
    this.callback = undefined;
  }
}
Object.freeze(Request.prototype);

export default Object.freeze({ Request });
