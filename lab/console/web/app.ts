// The lab console's page: four views over the JSON API (sessions, devices, catalog, simulated devices),
// chosen by the address's hash (#/sessions, #/sessions/<id>, #/devices/<DevId> …), kept current by the
// server's event stream (/api/events). No framework: each view builds its elements and redraws on the
// events that concern it.
import type { InputEvent, Screen } from '../../../agent/ports.js';
import { api, h, post, table, time } from './dom.js';
import { DeviceScreen } from './screen.js';

interface SessionSummary {
  id: string;
  devId: string;
  sessionId: string;
  status: string;
  transport: string;
  encoding: string;
  startedAt: string;
  lastAt: string;
  messages: number;
  deviations: number;
  last: string;
}
interface ScreenState {
  devId: string;
  screen: Screen | null;
  renders: number;
}

const view = document.getElementById('view')!;
const live = document.getElementById('live')!;
/** What the current view wants to hear of; replaced by each view. */
let listener: (event: string, data: unknown) => void = () => {};
const screens = new Map<string, DeviceScreen>();

function screenOf(devId: string): DeviceScreen {
  let s = screens.get(devId);
  if (!s) {
    const path = `/api/sim/${encodeURIComponent(devId)}`;
    s = new DeviceScreen(devId, {
      input: (event: InputEvent) => void post(`${path}/input`, { event }).catch(showError),
      button: () => void post(`${path}/button`, {}).catch(showError),
    });
    screens.set(devId, s);
  }
  return s;
}

function showError(e: unknown): void {
  const box = document.getElementById('message');
  if (box) {
    box.className = 'error';
    box.textContent = (e as Error).message;
  }
}

function note(text: string): void {
  const box = document.getElementById('message');
  if (box) {
    box.className = 'note';
    box.textContent = text;
  }
}

/** The view's contents, the parts left out (null) skipped. */
function fill(...parts: (Node | null)[]): void {
  view.replaceChildren(...parts.filter((p): p is Node => p !== null));
}

/** Label and value pairs, two columns; each in an element of its own (text side by side would run together). */
function grid(...pairs: [string, Node | string][]): HTMLElement {
  return h('div', { class: 'card grid' }, ...pairs.flatMap(([k, v]) => [h('span', { class: 'muted' }, k), h('span', {}, v)]));
}

const statusCell = (s: string) => h('span', { class: `status-${s}` }, s);
const devLink = (devId: string) => h('a', { href: `#/devices/${encodeURIComponent(devId)}` }, devId);

// ------------------------------------------------------------------ sessions

function sessionRow(s: SessionSummary): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-session': s.id, 'data-status': s.status, 'data-device': s.devId },
    h('td', {}, h('a', { href: `#/sessions/${s.id}` }, s.id)),
    h('td', {}, devLink(s.devId)),
    h('td', {}, s.sessionId),
    h('td', {}, statusCell(s.status)),
    h('td', {}, `${s.transport} / ${s.encoding}`),
    h('td', {}, time(s.startedAt)),
    h('td', {}, s.messages),
    h('td', {}, s.deviations ? h('span', { class: 'badge bad' }, s.deviations) : '0'),
    h('td', { class: 'muted' }, s.last),
  );
}

async function sessionsView(): Promise<void> {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const device = h('input', { placeholder: 'device (DevId)', value: params.get('device') ?? '', name: 'device' });
  const status = h(
    'select',
    { name: 'status' },
    ...['', 'open', 'ended', 'aborted', 'refused'].map((s) =>
      h('option', { value: s, ...(params.get('status') === s ? { selected: true } : {}) }, s || 'any status'),
    ),
  );
  const deviation = h(
    'select',
    { name: 'deviation' },
    ...[
      ['', 'with or without deviations'],
      ['yes', 'with deviations'],
      ['no', 'without deviations'],
    ].map(([v, t]) => h('option', { value: v!, ...(params.get('deviation') === v ? { selected: true } : {}) }, t!)),
  );
  const apply = () => {
    const q = new URLSearchParams();
    if (device.value) q.set('device', device.value);
    if (status.value) q.set('status', status.value);
    if (deviation.value) q.set('deviation', deviation.value);
    location.hash = `#/sessions${q.size ? `?${q}` : ''}`;
  };
  device.addEventListener('change', apply);
  status.addEventListener('change', apply);
  deviation.addEventListener('change', apply);
  const body = h('tbody', { id: 'sessions' });
  view.replaceChildren(
    h('h2', {}, 'Sessions ', h('span', { class: 'muted' }, '(newest first, live)')),
    h('div', { class: 'filters' }, device, status, deviation),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['session', 'device', 'SessionID', 'status', 'transport', 'started', 'messages', 'deviations', 'last message'].map((x) =>
            h('th', {}, x),
          ),
        ),
      ),
      body,
    ),
  );
  const fits = (s: SessionSummary) =>
    (!device.value || s.devId === device.value) &&
    (!status.value || s.status === status.value) &&
    (!deviation.value || (deviation.value === 'yes') === s.deviations > 0);
  const list = await api<SessionSummary[]>(`/api/sessions?${params}`);
  body.replaceChildren(...list.map(sessionRow));
  listener = (event, data) => {
    if (event !== 'session') return;
    const s = data as SessionSummary;
    const old = body.querySelector(`tr[data-session="${s.id}"]`);
    if (!fits(s)) {
      old?.remove();
      return;
    }
    const row = sessionRow(s);
    if (old) old.replaceWith(row);
    else {
      row.classList.add('fresh');
      body.prepend(row);
    }
  };
}

interface MessageView {
  index: number;
  dir: 'device' | 'server';
  at: string;
  msgId?: string;
  encoding?: string;
  size: number;
  httpStatus?: number;
  lost?: boolean;
  retransmission?: boolean;
  summary: string;
  xml: string;
  commands: { cmdId: string; kind: string; detail: string; status?: string; statusIn?: number }[];
  deviations: { text: string; rule: string }[];
}
interface SessionView {
  id: string;
  devId: string;
  sessionId: string;
  status: string;
  transport: string;
  encoding: string;
  startedAt: string;
  messages: MessageView[];
  ui: { alert: string; text: string; options: string; choices: string[]; status?: string; answer: string[] }[];
  deviations: unknown[];
}

const UI_NAMES: Record<string, string> = {
  '1100': 'display',
  '1101': 'confirm',
  '1102': 'text input',
  '1103': 'single choice',
  '1104': 'multiple choice',
};

async function sessionView(id: string): Promise<void> {
  const draw = async () => {
    const s = await api<SessionView>(`/api/sessions/${encodeURIComponent(id)}`);
    const open = new Set([...view.querySelectorAll('details[open]')].map((d) => (d as HTMLElement).dataset.index));
    fill(
      h('h2', {}, `Session ${s.id} `, statusCell(s.status)),
      grid(
        ['device', devLink(s.devId)],
        ['SessionID', s.sessionId],
        ['transport', `${s.transport} / ${s.encoding}`],
        ['started', time(s.startedAt)],
        [
          'export',
          h(
            'span',
            {},
            h(
              'a',
              { href: `/api/sessions/${s.id}/capture`, download: `${s.id}.capture.jsonl`, id: 'export-capture' },
              'raw messages (capture, for dm-agent decode)',
            ),
            ' · ',
            h('a', { href: `/api/sessions/${s.id}/xml`, download: `${s.id}.xml`, id: 'export-xml' }, 'indented XML'),
          ),
        ],
      ),
      s.ui.length
        ? h(
            'div',
            { class: 'card' },
            h('h3', {}, 'UI alerts and the answers given'),
            table(
              ['alert', 'text', 'choices', 'answer'],
              s.ui.map((u) => [
                `${u.alert} ${UI_NAMES[u.alert] ?? ''}`,
                u.text,
                u.choices.join(' / '),
                u.status === undefined ? '(no answer)' : `${u.status}${u.answer.length ? `: ${u.answer.join(', ')}` : ''}`,
              ]),
              { id: 'ui-alerts' },
            ),
          )
        : null,
      h('h3', {}, `Messages (${s.messages.length})`),
      ...s.messages.map((m) => messageBlock(m, open.has(String(m.index)))),
    );
  };
  await draw();
  listener = (event, data) => {
    if (event === 'session' && (data as SessionSummary).id === id) void draw().catch(showError);
  };
}

function messageBlock(m: MessageView, open: boolean): HTMLElement {
  const arrow = m.dir === 'device' ? 'device → server' : 'server → device';
  return h(
    'details',
    { class: `message ${m.dir}`, 'data-index': String(m.index), ...(open || m.deviations.length ? { open: true } : {}) },
    h(
      'summary',
      {},
      h('strong', {}, `${m.index + 1}. ${arrow}`),
      m.msgId ? ` MsgID ${m.msgId}` : '',
      ` · ${time(m.at)} · ${m.encoding ?? ''} ${m.size} B`,
      m.httpStatus && m.httpStatus !== 200 ? h('span', { class: 'badge bad' }, `HTTP ${m.httpStatus}`) : null,
      m.lost ? h('span', { class: 'badge bad' }, 'lost') : null,
      m.retransmission ? h('span', { class: 'badge' }, 'retransmission') : null,
      m.deviations.length ? h('span', { class: 'badge bad' }, `${m.deviations.length} deviation(s)`) : null,
      h('span', { class: 'muted' }, ` — ${m.summary}`),
    ),
    h(
      'div',
      { class: 'body' },
      ...m.deviations.map((d) =>
        h('div', { class: 'deviation' }, h('strong', {}, 'deviation: '), d.text, h('div', { class: 'rule' }, `rule: ${d.rule}`)),
      ),
      m.commands.length
        ? table(
            ['CmdID', 'command', 'detail', 'answered with'],
            m.commands.map((c) => [
              c.cmdId,
              c.kind,
              c.detail,
              c.status !== undefined
                ? `Status ${c.status} (message ${c.statusIn! + 1})`
                : c.kind === 'Status' || c.kind === 'Results'
                  ? ''
                  : '—',
            ]),
          )
        : null,
      h('pre', {}, m.xml),
    ),
  );
}

// ------------------------------------------------------------------ devices

interface DeviceRow {
  devId: string;
  account: string | null;
  transport: string | null;
  encoding: string | null;
  lastContact: string | null;
  sessions: number;
  deviations: number;
  inventory: { node: string; id?: string; name?: string; version?: string }[];
  simulated: boolean;
}

async function devicesView(): Promise<void> {
  const draw = async () => {
    const list = await api<DeviceRow[]>('/api/devices');
    view.replaceChildren(
      h('h2', {}, 'Devices'),
      table(
        ['DevId', 'account', 'transport', 'last contact', 'sessions', 'deviations', 'inventory'],
        list.map((d) => [
          devLink(d.devId),
          d.account ?? '—',
          d.transport ? `${d.transport} / ${d.encoding}` : '—',
          time(d.lastContact),
          d.sessions,
          d.deviations,
          d.inventory.map((c) => `${c.name ?? c.id ?? c.node} ${c.version ?? ''}`).join(', '),
        ]),
        { id: 'devices' },
      ),
    );
  };
  await draw();
  listener = (event) => {
    if (event === 'device') void draw().catch(showError);
  };
}

interface DeviceDetail extends Omit<DeviceRow, 'sessions' | 'simulated' | 'deviations'> {
  firstSeen: string | null;
  devInfo: Record<string, string>;
  pending: { componentId: string; version: string; correlator: string; state: string }[];
  deployments: { componentId: string; version: string; correlator: string; state: string; resultCode?: number }[];
  results: { at: string; resultCode: number; ok: boolean; correlator?: string; component?: string; version?: string }[];
  deviations: { session: string; message: number; text: string; rule: string }[];
  sessionsBegun: number;
  sessions: SessionSummary[];
  queued: { name: string; session: number }[];
  simulated: ScreenState | null;
}

const SCENARIOS: [string, string][] = [
  ['refused-credentials', 'refused credentials (401 once)'],
  ['lost-reply', 'a lost reply'],
  ['http-500', 'HTTP 500'],
  ['session-abort', 'a session abort (Alert 1223)'],
  ['wrong-hash', 'a wrong package hash'],
  ['no-update', 'no update'],
];

async function deviceView(devId: string): Promise<void> {
  const path = `/api/devices/${encodeURIComponent(devId)}`;
  const draw = async () => {
    const d = await api<DeviceDetail>(path);
    const scenario = h('select', { name: 'scenario' }, ...SCENARIOS.map(([v, t]) => h('option', { value: v }, t)));
    const screen = d.simulated ? screenOf(devId) : undefined;
    if (screen && d.simulated) screen.show(d.simulated.screen, d.simulated.renders);
    fill(
      h('h2', {}, `Device ${d.devId}`),
      h('p', { id: 'message' }),
      h(
        'div',
        { class: 'columns' },
        h(
          'div',
          {},
          grid(
            ['account', d.account ?? '—'],
            ['transport', d.transport ? `${d.transport} / ${d.encoding}` : '—'],
            ['first seen', time(d.firstSeen)],
            ['last contact', time(d.lastContact)],
            ['DM sessions', String(d.sessionsBegun)],
            ...Object.entries(d.devInfo).map(([k, v]): [string, string] => [`DevInfo/${k}`, v]),
          ),
          h(
            'div',
            { class: 'card' },
            h('h3', {}, 'Actions'),
            h(
              'button',
              { onclick: () => void post(`${path}/notify`, {}).then(() => note('notification sent over MQTT'), showError) },
              'Notify over MQTT',
            ),
            ' ',
            scenario,
            ' ',
            h(
              'button',
              {
                id: 'queue-scenario',
                onclick: () =>
                  void post<{ queued: unknown[] }>(`${path}/scenario`, { scenario: scenario.value }).then(
                    (r) => note(`queued for the next session (${r.queued.length} waiting)`),
                    showError,
                  ),
              },
              'Queue for the next session',
            ),
            d.queued.length
              ? h('p', { class: 'muted' }, `queued: ${d.queued.map((q) => `${q.name} (session ${q.session})`).join(', ')}`)
              : null,
          ),
        ),
        screen ? h('div', { class: 'card' }, screenBlock(screen, devId)) : '',
      ),
      h('h3', {}, 'Inventory (as last read)'),
      table(
        ['node', 'ID', 'name', 'version'],
        d.inventory.map((c) => [c.node, c.id ?? '', c.name ?? '', c.version ?? '']),
        { id: 'inventory' },
      ),
      h('h3', {}, 'Pending deployments'),
      d.pending.length
        ? table(
            ['component', 'version', 'correlator', 'state'],
            d.pending.map((p) => [p.componentId, p.version, p.correlator, p.state]),
          )
        : h('p', { class: 'muted' }, 'none'),
      h('h3', {}, 'Result history'),
      table(
        ['time', 'code', 'correlator', 'component'],
        d.results.map((r) => [
          time(r.at),
          h('span', { class: r.ok ? 'status-ended' : 'status-aborted' }, r.resultCode),
          r.correlator ?? '',
          `${r.component ?? ''} ${r.version ?? ''}`,
        ]),
        { id: 'results' },
      ),
      h('h3', {}, 'Deviations'),
      d.deviations.length
        ? table(
            ['session', 'message', 'deviation', 'rule'],
            d.deviations.map((x) => [h('a', { href: `#/sessions/${x.session}` }, x.session), x.message + 1, x.text, x.rule]),
          )
        : h('p', { class: 'muted' }, 'none'),
      h('h3', {}, 'Sessions'),
      table(
        ['session', 'status', 'started', 'messages', 'deviations'],
        d.sessions.map((s) => [
          h('a', { href: `#/sessions/${s.id}` }, s.id),
          statusCell(s.status),
          time(s.startedAt),
          s.messages,
          s.deviations,
        ]),
      ),
    );
  };
  await draw();
  listener = (event, data) => {
    const x = data as { devId?: string; id?: string };
    if (event === 'screen' && x.devId === devId) {
      const s = data as ScreenState;
      screens.get(devId)?.show(s.screen, s.renders);
    } else if ((event === 'device' && x.devId === devId) || (event === 'session' && (data as SessionSummary).devId === devId)) {
      void draw().catch(showError);
    }
  };
}

function screenBlock(screen: DeviceScreen, devId: string): HTMLElement {
  const path = `/api/sim/${encodeURIComponent(devId)}/button`;
  return h(
    'div',
    { class: 'device-screen' },
    screen.canvas,
    h(
      'span',
      {},
      h('button', { class: 'primary', 'data-press': devId, onclick: () => void post(path, {}).catch(showError) }, 'Press the button'),
      ' ',
      h('button', { onclick: () => void post(path, { long: true }).catch(showError) }, 'Long press'),
    ),
  );
}

// ------------------------------------------------------------------ catalog

interface CatalogRow {
  id: string;
  name: string;
  version: string;
  fileName: string;
  size: number;
  sha256: string;
  autoUpdate: boolean;
  description: string | null;
  uploaded: boolean;
}

async function catalogView(): Promise<void> {
  const file = h('input', { type: 'file', name: 'package', id: 'package-file' });
  const auto = h('input', { type: 'checkbox', name: 'autoUpdate', id: 'auto-update' });
  const upload = async () => {
    const f = file.files?.[0];
    if (!f) return showError(new Error('choose a package file first'));
    const r = await fetch(`/api/catalog?autoUpdate=${auto.checked}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: f,
    });
    const body = (await r.json()) as CatalogRow & { error?: string };
    if (!r.ok) return showError(new Error(body.error ?? `HTTP ${r.status}`));
    note(`${body.name} ${body.version} added to the catalog`);
    await draw();
  };
  const list = h('div', {});
  const draw = async () => {
    const rows = await api<CatalogRow[]>('/api/catalog');
    list.replaceChildren(
      table(
        ['component', 'name', 'version', 'package', 'size', 'SHA-256', 'auto update', ''],
        rows.map((e) => [
          e.id,
          e.name,
          e.version,
          `${e.fileName}${e.uploaded ? ' (uploaded)' : ''}`,
          e.size,
          h('code', {}, `${e.sha256.slice(0, 16)}…`),
          e.autoUpdate ? 'yes' : 'no',
          h(
            'button',
            {
              'data-retire': `${e.id} ${e.version}`,
              onclick: () =>
                void api(`/api/catalog/${encodeURIComponent(e.id)}/${encodeURIComponent(e.version)}`, { method: 'DELETE' }).then(
                  () => draw(),
                  showError,
                ),
            },
            'Retire',
          ),
        ]),
        { id: 'catalog' },
      ),
    );
  };
  view.replaceChildren(
    h('h2', {}, 'Catalog'),
    h('p', { id: 'message' }),
    h(
      'div',
      { class: 'card' },
      h('h3', {}, 'Add a version'),
      h('p', { class: 'muted' }, 'A package (as dm-agent package build makes it), checked as dm-agent package inspect checks it.'),
      file,
      ' ',
      h('label', {}, auto, ' devices may install it without asking (autoUpdate)'),
      ' ',
      h('button', { class: 'primary', id: 'upload', onclick: () => void upload().catch(showError) }, 'Upload'),
    ),
    list,
  );
  await draw();
  listener = (event) => {
    if (event === 'catalog') void draw().catch(showError);
  };
}

// ------------------------------------------------------------------ simulated devices

async function simulatedView(): Promise<void> {
  const list = await api<ScreenState[]>('/api/sim');
  view.replaceChildren(
    h('h2', {}, 'Simulated devices'),
    h('p', { id: 'message' }),
    list.length
      ? h(
          'div',
          { class: 'screens' },
          ...list.map((d) => {
            const s = screenOf(d.devId);
            s.show(d.screen, d.renders);
            return h('div', {}, h('p', {}, devLink(d.devId)), screenBlock(s, d.devId));
          }),
        )
      : h('p', { class: 'muted' }, 'No simulated device runs in this process (dm-agent demo --console runs one).'),
  );
  listener = (event, data) => {
    if (event !== 'screen') return;
    const s = data as ScreenState;
    screens.get(s.devId)?.show(s.screen, s.renders);
  };
}

// ------------------------------------------------------------------ router and events

async function route(): Promise<void> {
  const [path] = location.hash.replace(/^#/, '').split('?');
  const parts = (path || '/sessions').split('/').filter(Boolean).map(decodeURIComponent);
  listener = () => {};
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('current', a.getAttribute('href') === `#/${parts[0]}`);
  view.dataset.view = parts.join('/');
  view.dataset.ready = 'no';
  try {
    if (parts[0] === 'sessions' && parts[1]) await sessionView(parts[1]);
    else if (parts[0] === 'devices' && parts[1]) await deviceView(parts[1]);
    else if (parts[0] === 'devices') await devicesView();
    else if (parts[0] === 'catalog') await catalogView();
    else if (parts[0] === 'simulated') await simulatedView();
    else await sessionsView();
  } catch (e) {
    view.replaceChildren(h('p', { class: 'error' }, (e as Error).message));
  }
  view.dataset.ready = 'yes';
}

const events = new EventSource('/api/events');
events.addEventListener('open', () => {
  live.textContent = 'live';
  live.className = 'on';
});
events.addEventListener('error', () => {
  live.textContent = 'reconnecting';
  live.className = '';
});
for (const name of ['session', 'device', 'catalog', 'screen']) {
  events.addEventListener(name, (e) => listener(name, JSON.parse((e as MessageEvent<string>).data)));
}
window.addEventListener('hashchange', () => void route());
void route();
