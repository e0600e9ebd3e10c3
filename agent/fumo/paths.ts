// Where the FUMO 1.0 MO lives in this device's tree (the standard leaves <x> to the device: ./FUMO/fw), its MO
// type, the State values, the Exec'able nodes with their Generic Alert types, and the result codes. Sources
// in README.md beside this file.
export const FUMO_ROOT = './FUMO';
/** The one firmware this device updates: FUMO's <x>, laid permanent by the first boot. */
export const FUMO_NODE = './FUMO/fw';
export const FUMO_MO_TYPE = 'urn:oma:mo:oma-fumo:1.0';
export const DEV_DETAIL_FWV = './DevDetail/FwV';

export type FumoOp = 'Download' | 'Update' | 'DownloadAndUpdate';
export const FUMO_OPERATIONS: readonly FumoOp[] = ['Download', 'Update', 'DownloadAndUpdate'];

/** The Generic Alert type that carries the result of an Exec on each node (FUMO 1.0 §6.3). */
export function fumoAlertType(op: FumoOp): string {
  return `org.openmobilealliance.dm.firmwareupdate.${op.toLowerCase()}`;
}

/** ./FUMO/<x>/State. */
export const FumoState = {
  Idle: '10',
  DownloadFailed: '20',
  DownloadProgressing: '30',
  DownloadComplete: '40',
  ReadyToUpdate: '50',
  UpdateProgressing: '60',
  UpdateFailedHaveData: '70',
  UpdateFailedNoData: '80',
  UpdateSuccessfulHaveData: '90',
  UpdateSuccessfulNoData: '100',
} as const;

/** Result codes of the FUMO Generic Alert (the alert's Data). */
export const FumoResult = {
  Success: 200,
  ClientError: 400,
  UserCancelled: 401,
  CorruptedPackage: 402,
  PackageMismatch: 403,
  ValidationFailed: 404,
  NotAcceptable: 405,
  NotImplemented: 408,
  UndefinedError: 409,
  UpdateFailed: 410,
  BadUrl: 411,
  ServerUnavailable: 412,
  DownloadServerError: 500,
  DownloadOutOfMemory: 501,
  UpdateOutOfMemory: 502,
  DownloadNetworkError: 503,
} as const;
