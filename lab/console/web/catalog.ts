// The catalog view: the versions on offer, an upload form for a new one, a button to retire one.
import { api, h, table } from './dom.js';
import { note, showError, view, type Listener } from './parts.js';

interface CatalogRow {
  kind: 'component' | 'firmware';
  model: string | null;
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

export async function catalogView(): Promise<Listener> {
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
        ['offered', 'name', 'version', 'package', 'size', 'SHA-256', 'auto update', ''],
        rows.map((e) => [
          e.kind === 'firmware' ? `firmware for ${e.model}` : e.id,
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
      h(
        'p',
        { class: 'muted' },
        'A package (as dm-agent package build makes it), checked as dm-agent package inspect checks it. ' +
          "Firmware images are offered from the catalog file's firmware list, not uploaded (package inspect does not check them).",
      ),
      file,
      ' ',
      h('label', {}, auto, ' devices may install it without asking (autoUpdate)'),
      ' ',
      h('button', { class: 'primary', id: 'upload', onclick: () => void upload().catch(showError) }, 'Upload'),
    ),
    list,
  );
  await draw();
  return (event) => {
    if (event === 'catalog') void draw().catch(showError);
  };
}
