// Where the SCOMO 1.1 MO lives in this device's tree (the standard lets the device choose; ./SCOMO it is).
export const SCOMO_ROOT = './SCOMO';
export const DOWNLOAD = './SCOMO/Download';
export const DELIVERED = './SCOMO/Inventory/Delivered';
export const DEPLOYED = './SCOMO/Inventory/Deployed';
export const SCOMO_MO_TYPE = 'urn:oma:mo:oma-scomo:1.1';
export const STATE_INACTIVE = '10';
export const STATE_ACTIVE = '20';

export function deployedUri(node: string): string {
  return `${DEPLOYED}/${node}`;
}
