// The sessions views: the live list with its filters, and one session's messages decoded, each command
// beside its Status, the UI alerts with their answers, the deviations where they happened.
import { api, h, table, time } from './dom.js';
import { devLink, fill, grid, showError, statusCell, view, type Listener, type SessionSummary } from './parts.js';
import { withDefined } from '../../../agent/util/options.js';
import type { MessageView, SessionView } from '../views.js';

function sessionRow(s: SessionSummary): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-session': s.id, 'data-status': s.status, 'data-device': s.devId },
    h('td', {}, h('a', { href: `#/sessions/${s.id}` }, s.id)),
    h('td', {}, s.devId ? devLink(s.devId) : h('span', { class: 'muted' }, '(unread)')),
    h('td', {}, s.sessionId),
    h('td', {}, statusCell(s.status)),
    h('td', {}, `${s.transport} / ${s.encoding}`),
    h('td', {}, time(s.startedAt)),
    h('td', {}, s.messages),
    h('td', {}, s.deviations ? h('span', { class: 'badge bad' }, s.deviations) : '0'),
    h('td', { class: 'muted' }, s.reason ? h('span', { class: 'reason' }, `refused: ${s.reason}`) : s.last),
  );
}

export async function sessionsView(): Promise<Listener> {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const device = h('input', { placeholder: 'device (DevId)', value: params.get('device') ?? '', name: 'device' });
  const status = h(
    'select',
    { name: 'status' },
    ...['', 'open', 'ended', 'aborted', 'refused'].map((s) =>
      h('option', withDefined({ value: s }, { selected: params.get('status') === s ? true : undefined }), s || 'any status'),
    ),
  );
  const deviation = h(
    'select',
    { name: 'deviation' },
    ...[
      ['', 'with or without deviations'],
      ['yes', 'with deviations'],
      ['no', 'without deviations'],
    ].map(([v, t]) => h('option', withDefined({ value: v! }, { selected: params.get('deviation') === v ? true : undefined }), t!)),
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
  return (event, data) => {
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

const UI_NAMES: Record<string, string> = {
  '1100': 'display',
  '1101': 'confirm',
  '1102': 'text input',
  '1103': 'single choice',
  '1104': 'multiple choice',
};

export async function sessionView(id: string): Promise<Listener> {
  const draw = async () => {
    const s = await api<SessionView>(`/api/sessions/${encodeURIComponent(id)}`);
    const open = new Set([...view.querySelectorAll('details[open]')].map((d) => (d as HTMLElement).dataset.index));
    fill(
      h('h2', {}, `Session ${s.id} `, statusCell(s.status)),
      s.reason
        ? h('p', { class: 'deviation', id: 'refused-reason' }, h('strong', {}, 'refused before it matched a session: '), s.reason)
        : null,
      grid(
        ['device', s.devId ? devLink(s.devId) : '(not read)'],
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
  return (event, data) => {
    if (event === 'session' && (data as SessionSummary).id === id) void draw().catch(showError);
  };
}

function messageBlock(m: MessageView, open: boolean): HTMLElement {
  const arrow = m.dir === 'device' ? 'device → server' : 'server → device';
  return h(
    'details',
    withDefined({ class: `message ${m.dir}`, 'data-index': String(m.index) }, { open: open || m.deviations.length ? true : undefined }),
    h(
      'summary',
      {},
      h('strong', {}, `${m.index + 1}. ${arrow}`),
      m.msgId ? ` MsgID ${m.msgId}` : '',
      ` · ${time(m.at)} · ${m.encoding ?? ''} ${m.size} B`,
      m.httpStatus && m.httpStatus !== 200 ? h('span', { class: 'badge bad' }, `HTTP ${m.httpStatus}`) : null,
      m.lost ? h('span', { class: 'badge bad' }, 'lost') : null,
      m.retransmission ? h('span', { class: 'badge' }, 'retransmission') : null,
      m.truncated ? h('span', { class: 'badge' }, 'first bytes only') : null,
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
