// The update flow of a session, the SCOMO 1.1 client-initiated update as the seed CR asks of a server: the
// device's update request, the investigation of its inventory (Get), the UI alerts that inform and ask the
// user, the deployment (Add + Exec) of what the user consented to or the catalog lets a device install alone.
// advance() takes the next step once the device's package is complete, along the diagram of dm-server.ts.
import { AlertCode } from '../../agent/syncml/model.js';
import type { StatusCmd } from '../../agent/syncml/model.js';
import { hex } from '../../agent/util/bytes.js';
import { DEPLOYED } from '../../agent/scomo/paths.js';
import { FUMO_NODE } from '../../agent/fumo/paths.js';
import { compareVersions, findUpdate, packageUrl } from './catalog.js';
import { fillText } from './scenario.js';
import type { DeployPlan } from './commands.js';
import { componentGets, dataText, deployCommands, deployedNode, getCmd, normUri, uiAlert } from './commands.js';
import { keepDeployment, keepInventory } from './devices.js';
import { queue } from './reply.js';
import { FIRMWARE_GETS, findFirmware, firmwareCommands, fumoIdle } from './firmware.js';
import type { Deployment, Investigation, Role, ServerContext, SessionState, Tag, Update, UpdateFlow, UpdateKind } from './types.js';
import { withDefined } from '../../agent/util/options.js';

export function newUpdateFlow(): UpdateFlow {
  return { requestFresh: false, found: newInvestigation(), updates: [] };
}

function newInvestigation(): Investigation {
  return { inventory: new Map(), treeResults: new Map() };
}

export class UpdateFlowSteps {
  constructor(private readonly ctx: ServerContext) {}

  /** An update request alert: with the others of the same package, what the next investigation covers. */
  requested(st: SessionState, kind: UpdateKind, src: string | undefined): void {
    const flow = st.flow;
    const req = flow.request && !flow.requestFresh ? undefined : flow.request;
    const r = req ?? { kind, uris: [], all: false };
    if (kind === 'user') r.kind = 'user'; // a user waiting outranks a background check
    if (src === undefined) r.all = true;
    else if (deployedNode(src) === undefined) {
      this.ctx.deviate(
        st,
        `update request LocURI ${src} does not point at a deployed component (./SCOMO/Inventory/Deployed/<x>); investigating every component`,
      );
      r.all = true;
    } else if (!r.uris.includes(normUri(src))) r.uris.push(normUri(src));
    flow.request = r;
    flow.requestFresh = true;
  }

  /** The next step once the device's package is complete and nothing waits in the outbox. */
  advance(st: SessionState): void {
    if (st.phase === 'done' && st.flow.requestFresh) st.phase = 'start';
    switch (st.phase) {
      case 'start':
        return this.startInvestigation(st);
      case 'inventory-tree':
        return this.afterTree(st);
      case 'inventory-list':
        return this.afterList(st);
      case 'inventory':
        return this.afterInventory(st);
      case 'ui':
        return this.afterUi(st);
      case 'deploy':
        st.phase = 'done';
        return;
      default:
        return;
    }
  }

  /** The device's answer to a UI alert: recorded, checked against the scenario; a confirm's or choice's is the consent. */
  onUiAnswer(st: SessionState, tag: Extract<Tag, { what: 'ui' }>, s: StatusCmd, code: number): void {
    const devId = st.device.devId;
    const answer = s.items.map((i) => dataText(i.data));
    this.ctx.histories.uiAnswers.push({ devId, sessionId: st.sessionId, alert: tag.alert, text: tag.text, status: code, answer });
    this.ctx.log(
      'info',
      `device ${devId}: UI ${tag.alert} '${tag.text}' answered ${code}${answer.length ? ` [${answer.join(', ')}]` : ''}`,
    );
    if (tag.expectStatus !== undefined && tag.expectStatus !== code) {
      this.ctx.deviate(st, `UI ${tag.alert} '${tag.text}': the scenario expects status ${tag.expectStatus}, the device answered ${code}`);
    }
    const flow = st.flow;
    if (tag.role === 'confirm') {
      flow.consent = code === 200 ? flow.updates.slice(0, 1) : [];
      const expect = this.ctx.scenario.ui.confirm.expect;
      if ((expect === 'yes' && code !== 200) || (expect === 'no' && code !== 304)) {
        this.ctx.deviate(st, `confirm answered ${code}; the scenario expects ${expect === 'yes' ? '200 (yes)' : '304 (no)'}`);
      }
    } else if (tag.role === 'choice') {
      flow.consent = [];
      if (code !== 200) return;
      const pick = Number(answer[0]);
      const n = flow.updates.length;
      if (!Number.isInteger(pick) || pick < 1 || pick > n + 1) {
        this.ctx.deviate(st, `choice answer '${answer[0] ?? ''}' is not an option number from 1 to ${n + 1}`);
        return;
      }
      const want = this.ctx.scenario.ui.choice.expect;
      if (want !== undefined && want !== pick) this.ctx.deviate(st, `choice answered option ${pick}; the scenario expects ${want}`);
      flow.consent = pick === n + 1 ? [...flow.updates] : [flow.updates[pick - 1]!];
    }
  }

  private ui(
    st: SessionState,
    role: Role,
    code: string,
    options: string,
    text: string,
    choices: string[] = [],
    expectStatus?: number,
  ): void {
    const tag: Tag = withDefined({ what: 'ui' as const, role, alert: code, text }, { expectStatus });
    queue(st, uiAlert(code, options, text, choices), tag);
  }

  private startInvestigation(st: SessionState): void {
    const flow = st.flow;
    const req = flow.request;
    flow.requestFresh = false;
    if (!req) {
      st.phase = 'done';
      return;
    }
    flow.found = newInvestigation();
    flow.updates = [];
    delete flow.consent;
    const checking = this.ctx.scenario.ui.checking;
    if (req.kind === 'user' && checking) this.ui(st, 'checking', AlertCode.Display, checking.options, checking.text);
    // A request for the whole device covers its firmware too (seed CR X.1.3), when the catalog has some for its model.
    const model = st.device.devInfo.Mod;
    if (req.all && model !== undefined && this.ctx.catalog.firmware?.some((e) => e.firmware?.model === model))
      queue(st, getCmd(FIRMWARE_GETS), { what: 'get-firmware' });
    if (req.all && !st.device.noTreeExchange) {
      // The whole inventory in one Get (DM TND tree exchange); a device without it gets the list, then the leaves.
      queue(st, getCmd([`${DEPLOYED}?list=StructData`]), { what: 'get-tree' });
      st.phase = 'inventory-tree';
    } else if (req.all) {
      this.askList(st);
    } else {
      queue(st, getCmd(req.uris.flatMap(componentGets)), { what: 'get-items' });
      st.phase = 'inventory';
    }
  }

  private askList(st: SessionState): void {
    queue(st, getCmd([DEPLOYED]), { what: 'get-list' });
    st.phase = 'inventory-list';
  }

  private afterTree(st: SessionState): void {
    const refused = st.flow.found.treeRefused;
    if (refused === undefined) return this.afterInventory(st);
    this.ctx.log('info', `device ${st.device.devId} answered ${refused} to ?list=StructData: reading its inventory the long way`);
    st.device.noTreeExchange = true;
    this.askList(st);
  }

  private afterList(st: SessionState): void {
    const found = st.flow.found;
    if (found.getFailed || found.listNodes === undefined) return this.giveUp(st, found.getFailed ?? 'no inventory list');
    if (found.listNodes.length === 0) return this.afterInventory(st);
    queue(st, getCmd(found.listNodes.flatMap((n) => componentGets(`${DEPLOYED}/${n}`))), { what: 'get-items' });
    st.phase = 'inventory';
  }

  private giveUp(st: SessionState, why: string): void {
    this.ctx.log('warn', `device ${st.device.devId}: cannot investigate updates: ${why}`);
    if (st.flow.request?.kind === 'user')
      this.ui(st, 'info', AlertCode.Display, 'MINDT=3', 'The update check failed. Please try again later.');
    st.phase = 'done';
  }

  private afterInventory(st: SessionState): void {
    const devId = st.device.devId;
    const read = st.flow.found.inventory;
    keepInventory(st.device, read, st.flow.request?.all === true);
    const updates: Update[] = [];
    for (const c of read.values()) {
      if (c.id === undefined || c.version === undefined) {
        this.ctx.deviate(st, `component ${c.node} lacks ${c.id === undefined ? 'ID' : 'Version'} in the Results`);
        continue;
      }
      const entry = findUpdate(this.ctx.catalog, c.id, c.version);
      if (entry) updates.push({ node: c.node, current: c.version, entry });
    }
    updates.sort((a, b) => a.entry.name.localeCompare(b.entry.name) || compareVersions(a.entry.version, b.entry.version));
    const fw = st.flow.found.firmware;
    const model = st.device.devInfo.Mod;
    if (fw?.version !== undefined && model !== undefined && fumoIdle(fw.state)) {
      const entry = findFirmware(this.ctx.catalog, model, fw.version);
      // The firmware goes last: it restarts the device, after the components' results are in.
      if (entry) updates.push({ node: FUMO_NODE, current: fw.version, entry });
    }
    if (updates.length && this.ctx.failures.take('no-update')) {
      this.ctx.log('warn', `injected: no-update (hiding ${updates.length} available update(s) from ${devId})`);
      updates.length = 0;
    }
    st.flow.updates = updates;
    const req = st.flow.request!;
    for (const uri of req.uris) {
      const node = deployedNode(uri)!;
      if (!read.has(node)) this.ctx.deviate(st, `the update request names ${uri}, but the device could not report its ID/Version`);
    }
    this.ctx.log(
      'info',
      `device ${devId}: ${read.size} component(s) read, ${updates.length} update(s): ${updates.map((u) => `${u.entry.id} ${u.current}→${u.entry.version}`).join(', ') || 'none'}`,
    );
    if (updates.length === 0) {
      const upToDate = this.ctx.scenario.ui.upToDate;
      if (req.kind === 'user' && upToDate) this.ui(st, 'upToDate', AlertCode.Display, upToDate.options, upToDate.text);
      st.phase = 'done';
      return;
    }
    if (req.kind === 'device') {
      const auto = updates.filter((u) => u.entry.autoUpdate);
      for (const u of updates.filter((x) => !x.entry.autoUpdate)) {
        this.ctx.log(
          'info',
          `device ${devId}: ${u.entry.id} ${u.entry.version} is available but needs the user's consent (autoUpdate is off)`,
        );
      }
      if (auto.length === 0) {
        st.phase = 'done';
        return;
      }
      this.deploy(st, auto);
      return;
    }
    const ui = this.ctx.scenario.ui;
    for (const x of ui.extra) this.ui(st, 'extra', x.alert, x.options, fill(x.text, updates), x.choices, x.expectStatus);
    if (updates.length === 1) {
      // A firmware update restarts the device: the user is told so before saying yes.
      const text = updates[0]!.entry.firmware
        ? `Firmware ${updates[0]!.entry.version} is available. Install now? The device will restart.`
        : fill(ui.confirm.text, updates);
      this.ui(st, 'confirm', AlertCode.Confirm, ui.confirm.options, text);
    } else {
      const choices = [...updates.map((u) => `${u.entry.name} ${u.entry.version}`), ui.choice.allLabel];
      this.ui(st, 'choice', AlertCode.SingleChoice, ui.choice.options, fill(ui.choice.text, updates), choices);
    }
    st.phase = 'ui';
  }

  private afterUi(st: SessionState): void {
    const chosen = st.flow.consent;
    if (chosen === undefined) {
      this.ctx.deviate(st, 'no answer to the confirm/choice alert');
      st.phase = 'done';
      return;
    }
    if (chosen.length === 0) {
      const p = this.ctx.scenario.ui.postponed;
      if (p) this.ui(st, 'postponed', AlertCode.Display, p.options, p.text);
      st.phase = 'done';
      return;
    }
    this.deploy(st, chosen);
  }

  private deploy(st: SessionState, updates: Update[]): void {
    for (const u of updates) {
      const corrupt = this.ctx.failures.take('corrupt-package');
      const corruptThis = corrupt && (corrupt.component === undefined || corrupt.component === u.entry.id);
      const sha256 = corruptThis ? flipHex(u.entry.sha256) : u.entry.sha256;
      if (corruptThis) this.ctx.log('warn', `injected failure: announcing a wrong SHA-256 for ${u.entry.fileName}`);
      const plan: DeployPlan = {
        node: `pkg${hex(this.ctx.crypto.randomBytes(4))}`,
        pkgId: `${u.entry.id}-${u.entry.version}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
        url: packageUrl(this.ctx.packageBaseUrl, u.entry),
        correlator: `lab-${hex(this.ctx.crypto.randomBytes(6))}`,
        operation: this.ctx.scenario.operation,
        sha256,
      };
      const d: Deployment = {
        devId: st.device.devId,
        sessionId: st.sessionId,
        correlator: plan.correlator,
        componentId: u.entry.id,
        version: u.entry.version,
        node: plan.node,
        operation: plan.operation,
        state: 'sent',
      };
      this.ctx.histories.deployments.push(d);
      keepDeployment(st.device, d);
      if (u.entry.firmware) d.operation = 'DownloadAndUpdate';
      const [add, exec] = u.entry.firmware ? firmwareCommands(u.entry, plan) : deployCommands(u.entry, plan);
      queue(st, add, { what: 'add', deployment: d });
      queue(st, exec, { what: 'exec', deployment: d });
      this.ctx.log(
        'info',
        `device ${st.device.devId}: deploying ${u.entry.id} ${u.current}→${u.entry.version} (${plan.operation}, ${plan.url}, correlator ${plan.correlator})`,
      );
    }
    st.phase = 'deploy';
  }
}

function fill(text: string, updates: Update[]): string {
  const u = updates[0]!;
  return fillText(text, { name: u.entry.name, version: u.entry.version, current: u.current, id: u.entry.id, count: updates.length });
}

/** A SHA-256 that is certainly wrong (first hex digit changed), for the corrupt-package injection. */
function flipHex(h: string): string {
  const first = h[0] === '0' ? '1' : '0';
  return first + h.slice(1);
}
