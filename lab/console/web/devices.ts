// The devices views: the list, one device's page (its records, its actions, its screen when simulated),
// and the simulated devices' screens side by side.
import { api, h, post, table, time } from './dom.js';
import type { DeviceScreen } from './screen.js';
import {
  devLink,
  fill,
  grid,
  note,
  screenOf,
  screens,
  showError,
  statusCell,
  view,
  type Listener,
  type ScreenState,
  type SessionSummary,
} from './parts.js';

interface DeviceRow {
  devId: string;
  account: string | null;
  transport: string | null;
  encoding: string | null;
  lastContact: string | null;
  sessions: number;
  deviations: number;
  inventory: { node: string; id?: string; name?: string; version?: string }[];
  firmware: string | null;
  simulated: boolean;
}

export async function devicesView(): Promise<Listener> {
  const draw = async () => {
    const list = await api<DeviceRow[]>('/api/devices');
    view.replaceChildren(
      h('h2', {}, 'Devices'),
      table(
        ['DevId', 'account', 'transport', 'last contact', 'sessions', 'deviations', 'firmware', 'inventory'],
        list.map((d) => [
          devLink(d.devId),
          d.account ?? '—',
          d.transport ? `${d.transport} / ${d.encoding}` : '—',
          time(d.lastContact),
          d.sessions,
          d.deviations,
          d.firmware ?? '—',
          d.inventory.map((c) => `${c.name ?? c.id ?? c.node} ${c.version ?? ''}`).join(', '),
        ]),
        { id: 'devices' },
      ),
    );
  };
  await draw();
  return (event) => {
    if (event === 'device') void draw().catch(showError);
  };
}

interface Pending {
  componentId: string;
  version: string;
  correlator: string;
  state: string;
}

interface DeviceDetail extends Omit<DeviceRow, 'sessions' | 'simulated' | 'deviations' | 'firmware'> {
  firmware: {
    version: string | null;
    state: string | null;
    stateName: string | null;
    readAt: string | null;
    session: string | null;
    pending: Pending | null;
    lastResult: { resultCode: number; ok: boolean; version: string | null; correlator: string | null; at: string } | null;
  } | null;
  firstSeen: string | null;
  devInfo: Record<string, string>;
  pending: Pending[];
  deployments: { componentId: string; version: string; correlator: string; state: string; resultCode?: number }[];
  results: {
    at: string;
    resultCode: number;
    ok: boolean;
    correlator?: string;
    component?: string;
    version?: string;
    firmware: boolean;
  }[];
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

export async function deviceView(devId: string): Promise<Listener> {
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
      h('h3', {}, 'Firmware (as last read)'),
      d.firmware
        ? h(
            'div',
            { id: 'firmware' },
            grid(
              ['DevDetail/FwV', d.firmware.version ?? '—'],
              ['FUMO State', d.firmware.state ? `${d.firmware.state} (${d.firmware.stateName})` : '—'],
              [
                'read',
                d.firmware.readAt
                  ? h(
                      'span',
                      {},
                      time(d.firmware.readAt),
                      ' in ',
                      h('a', { href: `#/sessions/${d.firmware.session}` }, d.firmware.session!),
                    )
                  : '—',
              ],
              [
                'pending',
                d.firmware.pending
                  ? `${d.firmware.pending.version} (correlator ${d.firmware.pending.correlator}, ${d.firmware.pending.state})`
                  : 'none',
              ],
              [
                'last result',
                d.firmware.lastResult
                  ? `${d.firmware.lastResult.resultCode}${d.firmware.lastResult.ok ? ' (success)' : ' (failed)'} for ${d.firmware.lastResult.version ?? '?'}, ${time(d.firmware.lastResult.at)}`
                  : 'none',
              ],
            ),
          )
        : h(
            'p',
            { class: 'muted', id: 'firmware' },
            'not read (the server reads it on a request for the whole device, when its catalog has firmware for the model)',
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
        ['time', 'code', 'correlator', 'what'],
        d.results.map((r) => [
          time(r.at),
          h('span', { class: r.ok ? 'status-ended' : 'status-aborted' }, r.resultCode),
          r.correlator ?? '',
          `${r.component ?? ''} ${r.version ?? ''}`.trim(),
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
  return (event, data) => {
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

export async function simulatedView(): Promise<Listener> {
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
  return (event, data) => {
    if (event !== 'screen') return;
    const s = data as ScreenState;
    screens.get(s.devId)?.show(s.screen, s.renders);
  };
}
