// Stand-in for the SDK's "preference" module (documentation/files/files.md, "class Preference") with the
// rules of the device's store, the ESP-IDF's NVS (modules/files/preference/esp32): domain and key names of at
// most 15 characters, values a boolean, a 32-bit integer, a string of at most 4000 bytes or an ArrayBuffer,
// read back with the type they were written with; a fractional number is refused ("float unsupported"); get
// of a missing key is undefined and delete of one does nothing. The store is the host's, so it outlives a
// restart of the machine.
import { hostChecked } from './runtime.js';
import { encodeUtf8 } from './utf8.js';

type Value = boolean | number | string | ArrayBuffer;

function name(what: string, v: unknown): string {
  const s = String(v);
  if (s.length === 0 || s.length > 15) throw new Error(`preference ${what} '${s}': NVS names are 1-15 characters`);
  return s;
}

export default class Preference {
  static set(domain: string, key: string, value: Value): void {
    const d = name('domain', domain);
    const k = name('key', key);
    if (typeof value === 'boolean') hostChecked('pref.set', { domain: d, key: k, type: 'boolean', value });
    else if (typeof value === 'number') {
      if (value !== (value | 0)) throw new Error('float unsupported');
      hostChecked('pref.set', { domain: d, key: k, type: 'integer', value });
    } else if (typeof value === 'string') {
      if (encodeUtf8(value).length + 1 > 4000) throw new Error('nvs set fail: string too long');
      hostChecked('pref.set', { domain: d, key: k, type: 'string', value });
    } else if (value instanceof ArrayBuffer) hostChecked('pref.set', { domain: d, key: k, type: 'buffer' }, new Uint8Array(value));
    else throw new Error('unsupported type');
  }

  static get(domain: string, key: string): Value | undefined {
    const a = hostChecked('pref.get', { domain: name('domain', domain), key: name('key', key) });
    const { type, value } = a.reply as { type?: string; value?: boolean | number | string };
    if (type === undefined) return undefined;
    if (type === 'buffer') return a.payload.slice().buffer;
    return value;
  }

  static delete(domain: string, key: string): void {
    hostChecked('pref.delete', { domain: name('domain', domain), key: name('key', key) });
  }

  static keys(domain: string): string[] {
    return (hostChecked('pref.keys', { domain: name('domain', domain) }).reply.keys as string[]).slice();
  }
}
Object.freeze(Preference.prototype);
