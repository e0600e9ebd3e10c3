// Every failure the core reports is a DmError: a stable machine code, the SyncML status it maps to on the
// wire, and a message that says what and where. A codec refusal thus turns straight into the Status to send.

export type DmErrorCode =
  | 'DM_ERR_BAD_XML' // malformed XML (400)
  | 'DM_ERR_XML_LIMIT' // depth / element count / size limit exceeded (413)
  | 'DM_ERR_XML_FORBIDDEN' // DTD, external entity, processing instruction we refuse (400)
  | 'DM_ERR_BAD_WBXML' // malformed WBXML (400)
  | 'DM_ERR_WBXML_VERSION' // unsupported WBXML version / public id / charset (415)
  | 'DM_ERR_BAD_SYNCML' // well-formed but not a valid SyncML DM message (400)
  | 'DM_ERR_UNSUPPORTED_DTD' // VerDTD / VerProto we do not speak (505)
  | 'DM_ERR_TOO_LARGE' // message or object larger than allowed (413)
  | 'DM_ERR_NOT_FOUND' // node does not exist (404)
  | 'DM_ERR_ALREADY_EXISTS' // Add of an existing node (418)
  | 'DM_ERR_NOT_ALLOWED' // command not allowed on that node (405)
  | 'DM_ERR_PERMISSION' // ACL forbids (425)
  | 'DM_ERR_BAD_FORMAT' // value does not match the node's Format (415)
  | 'DM_ERR_BAD_REQUEST' // command missing required parts (400 / 412)
  | 'DM_ERR_URI' // malformed or too long URI (400 / 414)
  | 'DM_ERR_DEVICE_FULL' // tree or store is full (420)
  | 'DM_ERR_STORAGE' // persistent storage failed (510)
  | 'DM_ERR_AUTH' // authentication failed (401 / 407)
  | 'DM_ERR_NOT_SUPPORTED' // optional feature not supported (406)
  | 'DM_ERR_NOT_IMPLEMENTED' // command not implemented (501)
  | 'DM_ERR_UI' // user interaction problem (406 / 416 / 412)
  | 'DM_ERR_UNKNOWN_COMPONENT' // alert names a component that is not deployed (404)
  | 'DM_ERR_CONFIG' // device description / configuration invalid (no wire status; 400)
  | 'DM_ERR_SESSION' // session protocol violation (400)
  | 'DM_ERR_TRANSPORT' // no reply could be had from the server (no wire status; 503 as HTTP would say)
  | 'DM_ERR_INSTALL' // the installer could not install a package (500; SCOMO result 1402/1404)
  | 'DM_ERR_NOT_INSTALLED' // the installer has no such component (404)
  | 'DM_ERR_COMMAND_FAILED'; // anything else (500)

export class DmError extends Error {
  // A class field (an own property), not `this.name = …`: on a device XS freezes Error.prototype after
  // preload, and assigning over a frozen prototype's `name` throws.
  override readonly name = 'DmError';
  declare readonly code: DmErrorCode;
  /** SyncML status code this error maps to on the wire. */
  declare readonly status: number;
  constructor(code: DmErrorCode, status: number, message: string) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** The message of anything thrown: an Error's message, or the thrown value as text. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The HTTP status a transport or download failure carries (TransportErrorInfo.httpStatus, agent/ports.ts),
 * or undefined: read from the error, never guessed from its message.
 */
export function httpStatusOf(e: unknown): number | undefined {
  const status = typeof e === 'object' && e !== null ? (e as { httpStatus?: unknown }).httpStatus : undefined;
  return typeof status === 'number' ? status : undefined;
}

/** Wraps anything thrown into a DmError (500) so no foreign exception leaves the core. */
export function asDmError(e: unknown): DmError {
  if (e instanceof DmError) return e;
  return new DmError('DM_ERR_COMMAND_FAILED', 500, errorMessage(e));
}
