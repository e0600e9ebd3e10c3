// A Generic Alert (1226) waiting to be sent, as the persisted alert queue holds it.
export interface GenericAlert {
  /** Queue-unique id, so an alert is removed exactly once when the server acknowledges it. */
  id: string;
  /** Alert type URN, e.g. urn:oma:at:scomo:1.1:UpdateUserRequest. */
  type: string;
  format: string; // Meta/Format, e.g. 'chr' or 'xml'
  mark?: string; // Meta/Mark severity
  /** Item/Source/LocURI: the node the alert is about (absent = the whole device). */
  source?: string;
  /** Item/Target/LocURI. */
  target?: string;
  /** Item/Data: always sent, '' when there is no vendor data. */
  data: string;
  correlator?: string;
}

export const ALERT_TYPE_USER_REQUEST = 'urn:oma:at:scomo:1.1:UpdateUserRequest';
export const ALERT_TYPE_DEVICE_REQUEST = 'urn:oma:at:scomo:1.1:UpdateDeviceRequest';
/** SCOMO operation result alert type. SCOMO 1.1 keeps the 1.0 URN for OperationComplete. */
export const ALERT_TYPE_OPERATION_COMPLETE = 'urn:oma:at:scomo:1.0:OperationComplete';
