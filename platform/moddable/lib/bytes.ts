// The SDK's native modules (crypt Digest, HTTP bodies, MQTT payloads) are typed to take an ArrayBuffer, not a
// view: hand them the view's own buffer when it covers it exactly, a copy of the window otherwise.

export function exactBuffer(view: Uint8Array): ArrayBuffer {
  const b = view.buffer;
  if (b instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === b.byteLength) return b;
  return view.slice().buffer as ArrayBuffer;
}
