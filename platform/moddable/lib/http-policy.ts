// Decisions of the HTTP binding that do not need the SDK: which failures are worth another attempt, how long
// to wait between attempts, and a reply buffer with a hard ceiling (a device has no memory to spare for a
// server that ignores the MaxMsgSize it was given).
import type { TransportErrorInfo } from '../../../agent/ports.js';

/** Gateway errors say nothing reached the DM server: sending the same message again is safe. */
export function statusRetryable(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

/** Delays before retry 1..retries: first, 2 × first, 4 × first … (bounded so a Timer interval never overflows). */
export function backoffDelays(firstMs: number, retries: number, capMs = 60000): number[] {
  const out: number[] = [];
  let d = firstMs;
  for (let i = 0; i < retries; i++) {
    out.push(Math.min(d, capMs));
    d *= 2;
  }
  return out;
}

/** True when `info` allows another attempt and attempts remain. */
export function shouldRetry(info: TransportErrorInfo | undefined, attempt: number, retries: number): boolean {
  return info?.retryable === true && attempt < retries;
}

/** Collects reply fragments up to `limit` bytes; past it, add() returns false and keeps nothing more. */
export class BoundedBody {
  private parts: Uint8Array[] = [];
  private size = 0;
  overflow = false;
  constructor(readonly limit: number) {}

  add(fragment: Uint8Array): boolean {
    if (this.overflow) return false;
    if (this.size + fragment.length > this.limit) {
      this.overflow = true;
      this.parts = [];
      return false;
    }
    this.parts.push(fragment);
    this.size += fragment.length;
    return true;
  }

  get length(): number {
    return this.size;
  }

  /** One contiguous copy; the fragments are released. */
  take(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    this.parts = [];
    return out;
  }
}

/**
 * A request body handed to the SDK's HTTP client piece by piece. Given a whole buffer, the client writes it
 * to the socket in one call, which throws inside the socket callback (an uncaught exception: the VM aborts)
 * when the body is larger than the socket's free send space: 1 KB on the desktop simulator, the lwIP send
 * buffer (8 KB) less what is in flight on ESP32. With `body: true` it asks for each fragment, saying how many
 * bytes the socket takes now.
 */
export class BodyFragments {
  private at = 0;
  constructor(private readonly body: Uint8Array) {}

  /** The next piece of at most `room` bytes; an empty one while the socket is full; undefined at the end. */
  next(room: number): ArrayBuffer | undefined {
    if (this.at >= this.body.length) return undefined;
    const n = Math.max(0, Math.min(Math.floor(room) || 0, this.body.length - this.at));
    const piece = this.body.slice(this.at, this.at + n).buffer as ArrayBuffer;
    this.at += n;
    return piece;
  }
}
