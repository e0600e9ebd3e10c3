// The Alert 1226 command of a Generic Alert from the queue: SCOMO's update requests (../scomo/update-request.ts)
// and its operation results. The Data element is always present, empty when there is no vendor data, as the
// SCOMO 1.1 seed CR asks of the update request (X.1.4).
import type { AlertCmd, Item } from '../syncml/model.js';
import { AlertCode } from '../syncml/model.js';
import type { GenericAlert } from './types.js';

/** The Alert 1226 command for a queued Generic Alert. Data is always emitted, '' when empty. */
export function toAlertCommand(alert: GenericAlert, cmdId: string): AlertCmd {
  const item: Item = { meta: { type: alert.type, format: alert.format }, data: alert.data ?? '' };
  if (alert.mark !== undefined) item.meta!.mark = alert.mark;
  if (alert.source !== undefined) item.source = { locURI: alert.source };
  if (alert.target !== undefined) item.target = { locURI: alert.target };
  const cmd: AlertCmd = { kind: 'Alert', cmdId, data: AlertCode.Generic, items: [item] };
  if (alert.correlator !== undefined) cmd.correlator = alert.correlator;
  return cmd;
}
