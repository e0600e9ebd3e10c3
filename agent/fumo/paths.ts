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

/** ./FUMO/<x>/State: the values this device writes (70 and 90, "have data", never: README.md). */
export const FumoState = {
  Idle: '10',
  DownloadFailed: '20',
  DownloadProgressing: '30',
  DownloadComplete: '40',
  ReadyToUpdate: '50',
  UpdateProgressing: '60',
  UpdateFailedNoData: '80',
  UpdateSuccessfulNoData: '100',
} as const;

/** The result codes of the FUMO Generic Alert (its Data) that this device sends; the whole table is in README.md. */
export const FumoResult = {
  Success: 200,
  CorruptedPackage: 402,
  NotAcceptable: 405,
  UndefinedError: 409,
  UpdateFailed: 410,
  DownloadServerError: 500,
  DownloadNetworkError: 503,
} as const;
