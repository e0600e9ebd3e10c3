// The lab console's page: four views over the JSON API (sessions.ts, devices.ts, catalog.ts), chosen by
// the address's hash (#/sessions, #/sessions/<id>, #/devices/<DevId>, #/catalog, #/simulated), kept
// current by the server's event stream (/api/events): each view, once drawn, says which events redraw
// what. No framework: each view builds its elements from text (dom.ts).
import { h } from './dom.js';
import { view, type Listener } from './parts.js';
import { sessionsView, sessionView } from './sessions.js';
import { devicesView, deviceView, simulatedView } from './devices.js';
import { catalogView } from './catalog.js';

const live = document.getElementById('live')!;
/** What the current view wants to hear of. */
let listener: Listener = () => {};

async function route(): Promise<void> {
  const [path] = location.hash.replace(/^#/, '').split('?');
  const parts = (path || '/sessions').split('/').filter(Boolean).map(decodeURIComponent);
  listener = () => {};
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('current', a.getAttribute('href') === `#/${parts[0]}`);
  view.dataset.view = parts.join('/');
  view.dataset.ready = 'no';
  try {
    if (parts[0] === 'sessions' && parts[1]) listener = await sessionView(parts[1]);
    else if (parts[0] === 'devices' && parts[1]) listener = await deviceView(parts[1]);
    else if (parts[0] === 'devices') listener = await devicesView();
    else if (parts[0] === 'catalog') listener = await catalogView();
    else if (parts[0] === 'simulated') listener = await simulatedView();
    else listener = await sessionsView();
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
