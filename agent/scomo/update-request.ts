// The SCOMO 1.1 client-initiated update request (the seed CR, §X.1): a Generic Alert 1226 whose
//  - Meta/Type is urn:oma:at:scomo:1.1:UpdateUserRequest (user) or …:UpdateDeviceRequest (device) (X.1.2);
//  - Item/Source/LocURI, when present, MUST point at a deployed software component (X.1.3);
//  - Data element MUST be present, empty when there is no vendor data (X.1.4; ../alerts/generic-alert.ts
//    writes it so).
import type { GenericAlert } from '../alerts/types.js';
import { ALERT_TYPE_DEVICE_REQUEST, ALERT_TYPE_USER_REQUEST } from '../alerts/types.js';
import type { DmTree } from '../tree/types.js';
import { DEVICE } from '../tree/types.js';
import { DEPLOYED } from './paths.js';
import { DmError } from '../errors.js';

const DEPLOYED_PREFIX = `${DEPLOYED}/`;

export type UpdateTrigger = 'user' | 'device';

/**
 * Resolves what the caller named (a Deployed/<x> node name, a full Deployed URI, or a component ID) to the
 * URI of a deployed component. Anything else is DM_ERR_UNKNOWN_COMPONENT, and nothing is sent.
 */
export function resolveComponentUri(tree: DmTree, component: string): string {
  const candidates: string[] = [];
  if (component.startsWith(DEPLOYED_PREFIX) || component.startsWith('SCOMO/')) {
    candidates.push(component.startsWith('./') ? component : `./${component}`);
  } else if (!component.includes('/')) {
    candidates.push(DEPLOYED_PREFIX + component);
  }
  for (const uri of candidates) {
    const rest = uri.slice(DEPLOYED_PREFIX.length);
    if (uri.startsWith(DEPLOYED_PREFIX) && rest.length > 0 && !rest.includes('/') && tree.exists(uri)) return uri;
  }
  // A component ID (the ID leaf) is what device makers and users usually know.
  if (tree.exists(DEPLOYED)) {
    const deployed = tree.get(DEPLOYED, DEVICE);
    for (const node of deployed.children ?? []) {
      const idUri = `${DEPLOYED_PREFIX + node}/ID`;
      if (tree.exists(idUri) && tree.get(idUri, DEVICE).data === component) return DEPLOYED_PREFIX + node;
    }
  }
  throw new DmError(
    'DM_ERR_UNKNOWN_COMPONENT',
    404,
    `no deployed component '${component}' under ${DEPLOYED} (give its node name, URI or ID)`,
  );
}

/** Builds the update request for a trigger; `component` names a deployed component (see resolveComponentUri). */
export function buildUpdateRequest(tree: DmTree, trigger: UpdateTrigger, component?: string, vendorData = ''): Omit<GenericAlert, 'id'> {
  const alert: Omit<GenericAlert, 'id'> = {
    type: trigger === 'user' ? ALERT_TYPE_USER_REQUEST : ALERT_TYPE_DEVICE_REQUEST,
    format: 'chr',
    data: vendorData,
  };
  if (component !== undefined) alert.source = resolveComponentUri(tree, component);
  return alert;
}
