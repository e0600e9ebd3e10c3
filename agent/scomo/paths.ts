// Where the SCOMO 1.1 MO lives in this device's tree (the standard lets the device choose; ./SCOMO it is), its
// MO type, the State values of a Deployed/<x> component, and the executable Operations leaves.
export const SCOMO_ROOT = './SCOMO';
export const DOWNLOAD = './SCOMO/Download';
export const DELIVERED = './SCOMO/Inventory/Delivered';
export const DEPLOYED = './SCOMO/Inventory/Deployed';
export const SCOMO_MO_TYPE = 'urn:oma:mo:oma-scomo:1.1';
export const STATE_INACTIVE = '10';
export const STATE_ACTIVE = '20';

export type ScomoOp = 'Download' | 'DownloadInstall' | 'DownloadInstallInactive' | 'Activate' | 'Deactivate' | 'Remove';

/** The operations under Download/<x>/Operations. */
export const DOWNLOAD_OPERATIONS: readonly ScomoOp[] = ['Download', 'DownloadInstall', 'DownloadInstallInactive'];
/** The operations under Deployed/<x>/Operations. */
export const DEPLOYED_OPERATIONS: readonly ScomoOp[] = ['Activate', 'Deactivate', 'Remove'];
