// What SCOMO's packages and FUMO's firmware images share on their way in: a download that resumes after a
// cut and backs off, the reading of its failure, and the check of what arrived against what the server
// announced (the vendor leaves Ext/Size and Ext/SHA256).
import type { Clock, Crypto } from '../ports.js';
import { httpStatusOf } from '../errors.js';
import { hex } from './bytes.js';

/** Attempts of a download: each resumes from the byte the last one stored. */
export const DOWNLOAD_ATTEMPTS = 3;
const HASH_CHUNK = 4096;

/**
 * Runs `attempt` (one fetch, resuming from what is stored) until it succeeds, DOWNLOAD_ATTEMPTS times at
 * most. A failure the transport calls final (retryable false: a 404, a package over the limit) is not tried
 * again; any other is, after a pause of `retryDelayMs` that doubles, as the transports back off. Resolves
 * with undefined when a fetch succeeded, else with the last failure (each one told to `failed` first).
 */
export async function fetchResuming(
  attempt: () => Promise<unknown>,
  o: { clock: Clock; retryDelayMs: number; failed: (e: unknown) => void },
): Promise<unknown> {
  let failure: unknown;
  for (let n = 0; n < DOWNLOAD_ATTEMPTS; n++) {
    try {
      await attempt();
      return undefined;
    } catch (e) {
      failure = e;
      o.failed(e);
      if ((e as { retryable?: unknown }).retryable === false || n === DOWNLOAD_ATTEMPTS - 1) break;
      await new Promise<void>((resolve) => {
        o.clock.setTimeout(resolve, o.retryDelayMs * 2 ** n);
      });
    }
  }
  return failure;
}

/** The server answered 5xx (the transport says so in httpStatus), not a message that holds a number like 512. */
export function serverFailed(failure: unknown): boolean {
  const status = httpStatusOf(failure);
  return status !== undefined && status >= 500 && status <= 599;
}

/**
 * Why the `size` bytes stored (read back with `read`, in chunks of 4 KB) are not what the server announced,
 * or undefined: `want.size` and `want.sha256` are the leaves' texts, undefined when not announced.
 */
export function imageProblem(
  size: number,
  read: (offset: number, length: number) => Uint8Array,
  crypto: Crypto,
  want: { size?: string | undefined; sha256?: string | undefined },
): string | undefined {
  if (want.size !== undefined && Number(want.size) !== size) return `size ${size} bytes, the server announced ${want.size}`;
  const sha = want.sha256;
  if (sha === undefined) return undefined;
  const h = crypto.createSha256();
  for (let off = 0; off < size; off += HASH_CHUNK) h.update(read(off, Math.min(HASH_CHUNK, size - off)));
  const got = hex(h.digest());
  return got === sha.toLowerCase() ? undefined : `SHA-256 ${got}, the server announced ${sha}`;
}
