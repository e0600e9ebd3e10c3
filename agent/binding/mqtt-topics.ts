// The project's MQTT binding of SyncML DM (OMA specifies HTTP, OBEX and WSP only): the device publishes
// its messages on <prefix>dm/<DevId>/up, the server answers on <prefix>dm/<DevId>/down, and a server
// that wants a session publishes on <prefix>dm/<DevId>/notify. Shared by the device adapters (Node and
// Moddable) and the lab server, so the three can never disagree on a topic.

import { trimEndChar } from '../util/scan.js';

/** DevId as one topic level: '/', '+', '#' and ':' would split or wildcard the topic, so they become '_'. */
export function topicDevId(devId: string): string {
  return devId.replace(/[/+#:]/g, '_');
}

export interface DmTopics {
  up: string;
  down: string;
  notify: string;
}

export function dmTopics(devId: string, prefix = ''): DmTopics {
  const base = `${prefix ? `${trimEndChar(prefix, '/')}/` : ''}dm/${topicDevId(devId)}`;
  return { up: `${base}/up`, down: `${base}/down`, notify: `${base}/notify` };
}
