// Small settings in the SDK's Preference store (ESP32: the IDF's NVS), for values too small to deserve a file
// and written rarely: NVS limits domain and key names to 15 characters, values to 4000 bytes, and its flash
// has a bounded number of erase cycles, so callers write at most every few minutes.
//
// The store is handed in by the entry module (main.ts, main-sim.ts), which is not preloaded: this module is,
// and a module it imported would be preloaded with it. The SDK's Linux Preference (the simulator's) is not
// made for that: its class reads its file when the module loads, which cannot happen in the linker, and
// every later write failed ("preference.js (59) # Exception: throw!"), so nothing was kept across restarts.
import { DmError, errorMessage } from '../../agent/errors.js';

/** What Settings needs of the SDK's `preference` module (its default export's static functions). */
export interface PreferenceStore {
  get(domain: string, key: string): unknown;
  set(domain: string, key: string, value: string): void;
  delete(domain: string, key: string): void;
}

const NAME = /^[A-Za-z0-9_]{1,15}$/;

export class Settings {
  constructor(
    private readonly store: PreferenceStore,
    readonly domain = 'dm',
  ) {
    if (!NAME.test(domain)) throw new DmError('DM_ERR_CONFIG', 400, `settings domain '${domain}' is not 1-15 letters, digits or _`);
  }

  private check(key: string): string {
    if (!NAME.test(key)) throw new DmError('DM_ERR_STORAGE', 510, `setting '${key}' is not 1-15 letters, digits or _`);
    return key;
  }

  getString(key: string): string | undefined {
    const v = this.store.get(this.domain, this.check(key));
    return typeof v === 'string' ? v : undefined;
  }

  /** Numbers are kept as strings: NVS integers are 32-bit, epoch milliseconds are not. */
  getNumber(key: string): number | undefined {
    const s = this.getString(key);
    const n = s === undefined ? NaN : Number(s);
    return Number.isFinite(n) ? n : undefined;
  }

  set(key: string, value: string | number): void {
    try {
      this.store.set(this.domain, this.check(key), String(value));
    } catch (e) {
      throw new DmError('DM_ERR_STORAGE', 510, `setting ${key} not saved: ${errorMessage(e)}`);
    }
  }

  delete(key: string): void {
    this.store.delete(this.domain, this.check(key));
  }
}
