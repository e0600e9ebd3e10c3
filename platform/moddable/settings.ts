// Small settings in the SDK's Preference store (ESP32: the IDF's NVS), for values too small to deserve a file
// and written rarely: NVS limits domain and key names to 15 characters, values to 4000 bytes, and its flash
// has a bounded number of erase cycles, so callers write at most every few minutes.
import Preference from 'preference';
import { DmError } from '../../agent/errors.js';

const NAME = /^[A-Za-z0-9_]{1,15}$/;

export class Settings {
  constructor(readonly domain = 'dm') {
    if (!NAME.test(domain)) throw new DmError('DM_ERR_CONFIG', 400, `settings domain '${domain}' is not 1-15 letters, digits or _`);
  }

  private check(key: string): string {
    if (!NAME.test(key)) throw new DmError('DM_ERR_STORAGE', 510, `setting '${key}' is not 1-15 letters, digits or _`);
    return key;
  }

  getString(key: string): string | undefined {
    const v = Preference.get(this.domain, this.check(key));
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
      Preference.set(this.domain, this.check(key), String(value));
    } catch (e) {
      throw new DmError('DM_ERR_STORAGE', 510, `setting ${key} not saved: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  delete(key: string): void {
    Preference.delete(this.domain, this.check(key));
  }
}
