// The ports through which the platform-neutral core reaches the world. The core owns these interfaces;
// platform/node and platform/moddable implement them; tests use in-memory fakes. Nothing here may
// reference a Node or Moddable type.

/** One outgoing SyncML message, ready for a binding (HTTP POST, MQTT publish). */
export interface OutboundMessage {
  /** Where to send it: the server URI, or the RespURI the server gave. */
  uri: string;
  body: Uint8Array;
  /** application/vnd.syncml.dm+xml or application/vnd.syncml.dm+wbxml */
  contentType: string;
  /** Value of the x-syncml-hmac transport header, when the account authenticates with HMAC-MD5. */
  hmac?: string;
  sessionId: string;
  msgId: string;
}

export interface InboundMessage {
  body: Uint8Array;
  contentType?: string;
  /** Value of the x-syncml-hmac header the server sent, if any. */
  hmac?: string;
}

/**
 * A binding moves bytes; it never parses SyncML. exchange() sends one message and resolves with the
 * server's reply. It rejects with a TransportError when no reply can be had.
 */
export interface Transport {
  exchange(msg: OutboundMessage): Promise<InboundMessage>;
  close?(): Promise<void> | void;
  /**
   * The largest message this transport can send, when it has a limit of its own (the device's MQTT client
   * writes a publish in one socket write). The session keeps its messages under it as under the server's
   * MaxMsgSize.
   */
  readonly maxMessageBytes?: number;
  /**
   * Where the messages go, as a person reads it in an error ("mqtt://broker:1883, topic dm/<DevId>/up"), when
   * that is not the message's URI (the DM server's address): over MQTT the broker is what did not answer.
   */
  readonly endpoint?: string;
}

export type TransportFailure = 'refused' | 'reset' | 'timeout' | 'http-status' | 'tls' | 'closed' | 'other';

export interface TransportErrorInfo {
  kind: TransportFailure;
  message: string;
  httpStatus?: number;
  /** True when retrying the same message later may succeed. */
  retryable: boolean;
}

/**
 * Small persistent key/value store with atomic replacement of one key: after a power cut a key holds
 * either its previous value or the new one, never a mix. Synchronous, as flash file systems are.
 * Keys are short ASCII names such as 'tree', 'alerts', 'schedule', 'scomo'.
 */
export interface Storage {
  read(key: string): string | undefined;
  write(key: string, value: string): void;
  /**
   * Optional: writes the pieces `next()` returns, in order until it returns undefined, as one value, with
   * write()'s atomicity. A device implements it so that the stored tree is never one string in its heap:
   * the tree then hands its text over a piece (about 1 KB) at a time.
   */
  writeParts?(key: string, next: () => string | undefined): void;
  remove(key: string): void;
  keys(): string[];
}

export type TimerHandle = unknown;

export interface Clock {
  /** Wall-clock time in ms since the epoch. May jump (no RTC, NTP arriving late). */
  now(): number;
  /** Monotonic ms since an arbitrary origin; never goes back. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface Hash {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

export interface Crypto {
  md5(data: Uint8Array): Uint8Array;
  createSha256(): Hash;
  randomBytes(n: number): Uint8Array;
}

/** Raw edges of the update button, with the monotonic time they happened. Debouncing is the core's job. */
export interface Button {
  onEdge(listener: (pressed: boolean, atMs: number) => void): void;
}

/** What the device's screen and keys can do; the UI model lays pages and lists out to fit. */
export interface DisplayCapabilities {
  width: number; // pixels, e.g. 240
  height: number; // pixels, e.g. 320
  columns: number; // characters per line in the body font
  rows: number; // text lines available for the body
  keys: number; // physical keys (0 when touch only)
  touch: boolean;
  /** Longest text the device can show at all (416 beyond it). */
  maxTextLength: number;
}

/** A screen the core asks the display to draw. The display draws; it does not decide. */
export type Screen =
  | { kind: 'text'; title: string; lines: string[]; page: number; pages: number; actions: string[] }
  | { kind: 'confirm'; title: string; lines: string[]; page: number; pages: number; yes: string; no: string }
  | {
      kind: 'choice';
      title: string;
      lines: string[];
      options: { label: string; selected: boolean }[];
      cursor: number;
      first: number;
      multiple: boolean;
    }
  | { kind: 'input'; title: string; lines: string[]; value: string; masked: boolean; inputType: string; maxLength: number }
  | { kind: 'progress'; title: string; lines: string[]; done: number; total: number }
  | { kind: 'idle'; title: string; lines: string[] };

/** User input events, whatever the hardware: keys and touch both map to these. */
export type InputEvent =
  | { kind: 'up' }
  | { kind: 'down' }
  | { kind: 'select' }
  | { kind: 'back' }
  | { kind: 'next-page' }
  | { kind: 'prev-page' }
  | { kind: 'yes' }
  | { kind: 'no' }
  | { kind: 'cancel' }
  | { kind: 'pick'; index: number } // touch on an option
  | { kind: 'text'; value: string } // text entered (keyboard or scripted answer)
  | { kind: 'submit' };

export interface Display {
  readonly capabilities: DisplayCapabilities;
  render(screen: Screen): void;
  onInput(listener: (event: InputEvent) => void): void;
}

export interface DownloadRequest {
  url: string;
  /** Key of the package in the device's package store. */
  id: string;
  /** Resume from this byte (what is already stored). */
  offset: number;
  onProgress?(received: number, total: number | undefined): void;
}

/** Fetches packages into a device-side package store, resumably. */
export interface Downloader {
  fetch(req: DownloadRequest): Promise<{ size: number; total?: number }>;
  /** Bytes already stored for id (0 when none). */
  storedSize(id: string): number;
  read(id: string, offset: number, length: number): Uint8Array;
  discard(id: string): void;
}

export interface ComponentInfo {
  id: string;
  name: string;
  version: string;
}

/** Installs delivered packages as components, and switches them on and off. */
export interface Installer {
  /** Installs package `pkgId` from the package store; resolves with the components it deployed. */
  install(pkgId: string, active: boolean): Promise<ComponentInfo[]>;
  activate(componentId: string): Promise<void>;
  deactivate(componentId: string): Promise<void>;
  remove(componentId: string): Promise<void>;
  /** What is installed now, for recovery after a power cut. */
  installed(): ComponentInfo[];
}

/**
 * Native UTF-8 conversion, where the platform has one (Node's TextEncoder/TextDecoder, the Moddable SDK's
 * text/encoder and text/decoder modules), for whole messages. Optional: without it the core converts in
 * JavaScript (agent/util/bytes.ts) with the same results. decode is strict: it throws on malformed UTF-8 (the
 * core turns that into a 400). encode is given well-formed text only (the XML writer replaces lone surrogates).
 */
export interface Utf8 {
  encode(text: string): Uint8Array;
  decode(bytes: Uint8Array): string;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface Log {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/**
 * What the firmware learns from the platform when it starts (FirmwareSlots.boot()): which slot it runs from,
 * what that firmware is, and whether this start is a trial the firmware must still confirm.
 */
export interface FirmwareBoot {
  /** The slot this firmware runs from: 'a' or 'b' on the Node device, the app partition's label ('ota_0') on an ESP32. */
  slot: string;
  /** The running firmware's version, as ./DevDetail/FwV and ./FUMO/<x>/PkgVersion say it (e.g. '1.1'). */
  version: string;
  /**
   * True when this is a start after switch() that nobody confirmed yet (ESP-IDF: the running partition's
   * state is ESP_OTA_IMG_PENDING_VERIFY). The core calls confirm() once its health check passed (a first
   * successful DM session, or the device maker's check); without it, the next start returns to the previous
   * slot. False for a confirmed firmware, and after such a return.
   */
  trial: boolean;
}

/**
 * Two firmware slots, A/B: the running one and an inactive one that a new image is written into (FUMO,
 * agent/fumo/). The port never decides anything: the core journals each step before it calls a method, so
 * every method may be called again after a power cut and must then give the same outcome (idempotent).
 * Errors are thrown as DmError (code DM_ERR_INSTALL, status 500) or as the transport errors fetch() gives.
 *
 * The inactive slot doubles as the download's store (a firmware image does not fit beside it in a device's
 * file system): download(), written(), read() and discard() have the contract of Downloader's fetch(),
 * storedSize(), read() and discard() for that one image.
 *
 * Order of calls for one update: download() (resumed as often as needed) → read() (SHA-256 check) →
 * complete() → switch() → restart(); in the new firmware: boot() says trial → confirm(), or revert() +
 * restart() when the health check fails. Before complete(), discard() abandons the image.
 */
export interface FirmwareSlots {
  /** What this start is (see FirmwareBoot). Cheap; the core calls it at every boot, before any other method. */
  boot(): FirmwareBoot;
  /**
   * Fetches the image at req.url into the inactive slot, from byte req.offset on (a Range request), as
   * Downloader.fetch does for a package; req.id is the core's name of the image and may be ignored. Resolves
   * when the whole image is written; rejects with a TransportError (retryable or not) otherwise, keeping what
   * was written. Writing at offset 0 starts a new image (erasing what the slot held).
   */
  download(req: DownloadRequest): Promise<{ size: number; total?: number }>;
  /**
   * Bytes of the current image in the inactive slot that a later download() may resume from: what survived
   * the last power cut. A platform that cannot resume a slot write after a restart (the SDK's esp32/ota
   * erases at begin) returns 0 after a restart; the core then downloads again from byte 0.
   */
  written(): number;
  /** Reads back `length` bytes of the image from `offset` (the core hashes it in chunks of 4 KB). */
  read(offset: number, length: number): Uint8Array;
  /** Abandons the image in the inactive slot (written() is 0 after it). The running slot is never touched. */
  discard(): void;
  /**
   * Ends the image: the platform checks it is a firmware it can start (ESP-IDF: esp_ota_end's image check)
   * and throws DM_ERR_INSTALL when not. It does not switch. Idempotent: calling it again on the same
   * completed image succeeds.
   */
  complete(): void;
  /**
   * Makes the completed inactive slot the one the next start runs, as a trial (boot().trial is true there).
   * Persisted before it returns; idempotent. Nothing changes for the running firmware until restart().
   */
  switch(): void;
  /** Restarts the device (on a device it does not return; the Node device simulates a power-on). */
  restart(): void;
  /** The trial firmware passed its health check: it stays (ESP-IDF: esp_ota_mark_app_valid_cancel_rollback). No-op when not in a trial. */
  confirm(): void;
  /**
   * The trial firmware failed its health check: the next start returns to the previous slot (ESP-IDF:
   * esp_ota_mark_app_invalid_rollback, without the reboot). The core calls restart() after it. No-op when
   * not in a trial. A platform that cannot mark the trial invalid (ESP-IDF after a first flash over USB,
   * whose otadata is blank) leaves it unconfirmed: the next start returns all the same.
   */
  revert(): void;
}
