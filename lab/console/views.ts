// What /api/sessions/:id answers (session-view.ts makes it): the shapes the server builds and the page
// (web/) reads, in one place. Types only, and no import: the page's own tsconfig (DOM, no Node) checks it too.

export interface CommandView {
  cmdId: string;
  kind: string;
  /** Alert code, or the target/source URIs. */
  detail: string;
  /** The Status the other side answered with (code), when it came. */
  status?: string;
  /** Index of the message holding that Status. */
  statusIn?: number;
}

export interface UiView {
  alert: string;
  text: string;
  options: string;
  choices: string[];
  /** The device's Status code (200 yes/OK, 304 no, 214 cancelled, 408 timeout …) and the Items it answered. */
  status?: string;
  answer: string[];
}

export interface MessageView {
  index: number;
  dir: 'device' | 'server';
  at: string;
  msgId?: string;
  contentType: string;
  encoding?: string;
  size: number;
  httpStatus?: number;
  lost?: boolean;
  retransmission?: boolean;
  /** Only the first bytes were kept (session-log.ts, LIMITS.refusedBytes). */
  truncated?: boolean;
  summary: string;
  /** Indented XML, secrets masked; or the text of a non-SyncML body. */
  xml: string;
  commands: CommandView[];
  deviations: { text: string; rule: string }[];
}

export interface SessionView {
  id: string;
  devId: string;
  sessionId: string;
  status: string;
  transport: string;
  encoding: string;
  startedAt: string;
  lastAt: string;
  messages: MessageView[];
  ui: UiView[];
  deviations: { message: number; text: string; rule: string }[];
  /** Why the server refused the message before it matched a session (status refused, no SyncML reply). */
  reason: string | null;
}
