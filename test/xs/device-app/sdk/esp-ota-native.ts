// Stand-in for our native module platform/moddable/native/esp-ota.ts (its C side calls ESP-IDF): the same
// functions, each answering what ESP-IDF would, from esp32-world.ts's partitions and otadata.
import { esp32 } from './esp32-world.js';

const STATES = ['new', 'pending', 'valid', 'invalid', 'aborted', 'undefined'];

export function runningLabel(): string {
  return esp32().runningLabel();
}
export function nextLabel(): string {
  return esp32().nextLabel();
}
export function runningState(): number {
  return STATES.indexOf(esp32().runningState());
}
export function verifyNext(): number {
  return esp32().verifyNext();
}
export function setBootNext(): number {
  return esp32().setBootNext();
}
export function markValid(): number {
  return esp32().markValid();
}
export function markInvalid(): number {
  return esp32().markInvalid();
}
export function restart(): void {
  esp32().restart();
}
