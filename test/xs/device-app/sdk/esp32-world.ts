// What the ESP32 stand-ins share (ota.ts, flash.ts, esp-ota-native.ts): the board's app partitions, otadata
// and bootloader, played by lib/ota-model.ts (a model of ESP-IDF's, also the simulator's) over files of the
// flash file system under /flash/ (file.ts: the host keeps them across power-ons). Made at first use after
// boot, never while the modules load (preloaded: what exists then is frozen), so each worker is one power-on.
import type { Storage } from '../../../../agent/ports.js';
import { OtaModel, type SlotBytes, type SlotLabel } from '../../../../platform/moddable/lib/ota-model.js';
import { parseFirmwareImage } from '../../../../platform/moddable/lib/firmware-image.js';
import { utf8Encode } from '../../../../agent/util/bytes.js';
import { Directory, File } from './file.js';

/** The firmware flashed over USB into ota_0 (the lab's JSON image; a real one is an ESP-IDF app image). */
const FACTORY = '{"firmware":"TS-Agent-1","version":"1.0.0"}';
const DIR = '/flash';

function mkdir(): void {
  if (!File.exists(DIR)) Directory.create(DIR);
}

/** A partition as a file: its written bytes (an erased partition: no file). */
class Partitions implements SlotBytes {
  size(slot: SlotLabel): number {
    const p = `${DIR}/${slot}`;
    if (!File.exists(p)) return 0;
    const f = new File(p);
    const n = f.length;
    f.close();
    return n;
  }
  read(slot: SlotLabel, offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.size(slot) - offset));
    if (!n) return new Uint8Array(0);
    const f = new File(`${DIR}/${slot}`);
    f.position = offset;
    const b = new Uint8Array(f.read(ArrayBuffer, n) as ArrayBuffer);
    f.close();
    return b;
  }
  erase(slot: SlotLabel): void {
    File.delete(`${DIR}/${slot}`);
  }
  append(slot: SlotLabel, bytes: ArrayBuffer): void {
    mkdir();
    const f = new File(`${DIR}/${slot}`, true);
    f.position = f.length;
    f.write(bytes);
    f.close();
  }
}

/** otadata: one file, replaced whole (ESP-IDF's two sectors make its update atomic). */
class OtaData implements Storage {
  read(key: string): string | undefined {
    const p = `${DIR}/${key}`;
    if (!File.exists(p)) return undefined;
    const f = new File(p);
    const text = f.length ? (f.read(String) as string) : '';
    f.close();
    return text;
  }
  write(key: string, value: string): void {
    mkdir();
    File.delete(`${DIR}/${key}.tmp`);
    const f = new File(`${DIR}/${key}.tmp`, true);
    f.write(value);
    f.close();
    File.rename(`${DIR}/${key}.tmp`, `${DIR}/${key}`);
  }
  remove(key: string): void {
    File.delete(`${DIR}/${key}`);
  }
  keys(): string[] {
    return [];
  }
}

/** The Moddable runtime's trace(), defined by runtime.ts. */
declare const trace: (text: string) => void;

let model: OtaModel | undefined;

export function esp32(): OtaModel {
  model ??= new OtaModel({
    bytes: new Partitions(),
    data: new OtaData(),
    capacity: 0x1a0000,
    isImage: (read, size) => parseFirmwareImage(read(0, size)) !== undefined,
    factory: utf8Encode(FACTORY),
    onRestart: () => trace('esp_restart()\n'),
  });
  return model;
}
