// The handlers of what a device sends in a session: its Alerts (the update request and result alerts of
// SCOMO come as Generic Alerts), its Replace of DevInfo, and its Statuses and Results, matched by MsgRef and
// CmdRef against what the server sent. Each notes what it learns for the update flow (update-flow.ts) and
// the device record (devices.ts), and every departure from the protocol as a deviation.
import type { AlertCmd, Command, ItemCmd, ResultsCmd, StatusCmd, SyncMLMessage } from '../../agent/syncml/model.js';
import { AlertCode } from '../../agent/syncml/model.js';
import { commandStatus } from '../../agent/syncml/statuses.js';
import { ALERT_TYPE_DEVICE_REQUEST, ALERT_TYPE_OPERATION_COMPLETE, ALERT_TYPE_USER_REQUEST } from '../../agent/alerts/types.js';
import { childNames, dataText, normUri, parseResultData, readComponentResults } from './commands.js';
import { installed, keepDevInfo, MAX_COMPONENTS_PER_DEVICE, MAX_DEVINFO_LEAVES } from './devices.js';
import type { UpdateFlowSteps } from './update-flow.js';
import { FIRMWARE_ALERT_PREFIX, onFirmwareResult, readFirmwareResults } from './firmware.js';
import type { OperationOutcome, ServerContext, SessionState, UpdateKind } from './types.js';

/** The server's Status for a device command: no TargetRef or SourceRef (the agent's carry them). */
export function statusFor(msg: SyncMLMessage, c: Command, code: number): StatusCmd {
  return commandStatus(msg.hdr.msgId, c, code);
}

export class DeviceCommands {
  constructor(
    private readonly ctx: ServerContext,
    private readonly flow: UpdateFlowSteps,
  ) {}

  /** An Alert of the device; the code of its Status. */
  onAlert(st: SessionState, c: AlertCmd): number {
    switch (c.data) {
      case AlertCode.ClientInitiated:
      case AlertCode.ServerInitiated:
      case AlertCode.NextMessage:
      case AlertCode.SessionAbort:
        return 200;
      case AlertCode.Generic:
        return this.onGenericAlert(st, c);
      case AlertCode.ClientEvent:
        this.ctx.log('info', `device ${st.device.devId}: client event alert 1224 (not acted on)`);
        return 200;
      default:
        this.ctx.deviate(st, `device sent Alert ${c.data ?? '(no code)'}: a client sends 1200, 1201, 1222, 1223, 1224 or 1226`);
        return 406;
    }
  }

  private onGenericAlert(st: SessionState, c: AlertCmd): number {
    if (c.items.length === 0) {
      this.ctx.deviate(st, `Generic Alert ${c.cmdId} has no Item`);
      return 412;
    }
    let code = 200;
    for (const item of c.items) {
      const type = item.meta?.type;
      if (item.data === undefined)
        this.ctx.deviate(
          st,
          `Generic Alert ${c.cmdId}: Item without Data (the seed CR says Data MUST be present, empty when there is no vendor data)`,
        );
      if (type === ALERT_TYPE_USER_REQUEST || type === ALERT_TYPE_DEVICE_REQUEST) {
        const kind: UpdateKind = type === ALERT_TYPE_USER_REQUEST ? 'user' : 'device';
        const src = item.source?.locURI;
        this.flow.requested(st, kind, src);
        this.ctx.log(
          'info',
          `device ${st.device.devId}: ${kind === 'user' ? 'UpdateUserRequest' : 'UpdateDeviceRequest'} for ${src ?? 'every deployed component'}`,
        );
      } else if (type === ALERT_TYPE_OPERATION_COMPLETE || type === 'urn:oma:at:scomo:1.1:OperationComplete') {
        if (type !== ALERT_TYPE_OPERATION_COMPLETE)
          this.ctx.deviate(st, `OperationComplete alert type ${type}: SCOMO keeps ${ALERT_TYPE_OPERATION_COMPLETE}`);
        const r = this.onResultAlert(st, c, item);
        if (r !== 200) code = r;
      } else if (type?.startsWith(FIRMWARE_ALERT_PREFIX)) {
        const r = onFirmwareResult(this.ctx, st, c, item);
        if (r !== 200) code = r;
      } else {
        this.ctx.log('info', `device ${st.device.devId}: Generic Alert of type ${type ?? '(none)'} accepted, not acted on`);
      }
    }
    return code;
  }

  private onResultAlert(st: SessionState, c: AlertCmd, item: AlertCmd['items'][number]): number {
    const devId = st.device.devId;
    const data = parseResultData(dataText(item.data));
    if (!data) {
      this.ctx.deviate(
        st,
        `OperationComplete alert ${c.cmdId} without <ResultCode>…</ResultCode> in its Data: '${dataText(item.data).slice(0, 120)}'`,
      );
      return 400;
    }
    const correlator = c.correlator;
    const deployment = correlator !== undefined ? st.device.deployments.get(correlator) : undefined;
    if (correlator === undefined) this.ctx.deviate(st, 'OperationComplete alert without the Correlator of the Exec it reports on');
    else if (!deployment)
      this.ctx.deviate(st, `OperationComplete alert carries Correlator ${correlator}, which this server never sent to ${devId}`);
    const ok = data.resultCode === 1200;
    const outcome: OperationOutcome = { devId, sessionId: st.sessionId, resultCode: data.resultCode, ok };
    if (correlator !== undefined) outcome.correlator = correlator;
    if (data.identifier !== undefined) outcome.identifier = data.identifier;
    if (item.source?.locURI !== undefined) outcome.source = item.source.locURI;
    if (item.target?.locURI !== undefined) outcome.target = item.target.locURI;
    const histories = this.ctx.histories;
    if (deployment?.resultCode !== undefined && deployment.resultCode === data.resultCode) {
      // At-least-once delivery: a device that lost power after we acknowledged, but before it recorded our
      // acknowledgement, sends the same result again. It is the same outcome, counted once.
      histories.duplicateResults++;
      this.ctx.log(
        'info',
        `device ${devId}: result ${data.resultCode} for ${correlator} reported again (already recorded; acknowledged again)`,
      );
      return 200;
    }
    if (deployment) {
      deployment.resultCode = data.resultCode;
      deployment.state = ok ? 'completed' : 'failed';
      outcome.deployment = { ...deployment };
      if (ok) installed(st.device, deployment);
    }
    histories.outcomes.push(outcome);
    if (ok) histories.succeeded++;
    this.ctx.log(
      ok ? 'info' : 'warn',
      `device ${devId}: SCOMO result ${data.resultCode}${ok ? ' (success)' : ''} for ${deployment ? `${deployment.componentId} ${deployment.version}` : (data.identifier ?? '?')}, correlator ${correlator ?? '(none)'}`,
    );
    return 200;
  }

  /** A Replace of the device (of its DevInfo leaves); the code of its Status. */
  onReplace(st: SessionState, c: ItemCmd): number {
    let code = 200;
    for (const it of c.items) {
      const uri = it.source?.locURI ?? it.target?.locURI;
      if (uri === undefined || !normUri(uri).startsWith('./DevInfo/')) {
        this.ctx.deviate(st, `Replace of ${uri ?? '(no URI)'}: a client Replaces only ./DevInfo leaves`);
        code = 403;
        continue;
      }
      if (!keepDevInfo(st.device, normUri(uri).slice('./DevInfo/'.length), dataText(it.data))) {
        this.ctx.deviate(st, `Replace of ${uri}: the server keeps ${MAX_DEVINFO_LEAVES} DevInfo leaves of a device, not more`);
      }
    }
    const devIdLeaf = st.device.devInfo.DevId;
    if (devIdLeaf !== undefined && devIdLeaf !== st.device.devId) {
      this.ctx.deviate(st, `./DevInfo/DevId is '${devIdLeaf}' but SyncHdr Source/LocURI is '${st.device.devId}'`);
    }
    return code;
  }

  /** A Status of the device for a command the server sent (that for its SyncHdr goes to session-auth.ts). */
  onStatus(st: SessionState, s: StatusCmd): void {
    const code = Number(s.data);
    const devId = st.device.devId;
    const out = st.out;
    const key = `${s.msgRef}:${s.cmdRef}`;
    const first = out.sent.get(key);
    const again = first ? undefined : out.answered.get(key);
    if (!first && !again) {
      this.ctx.deviate(st, `Status ${s.data} for ${s.cmd} MsgRef ${s.msgRef} CmdRef ${s.cmdRef}, a command this server did not send`);
      return;
    }
    if (again) {
      // Another Status for a command with several items (one per distinct result, DM RepPro): only the
      // multi-item commands this server sends may have one.
      if (again.what === 'ui' || again.what === 'exec') {
        this.ctx.deviate(st, `a second Status (${s.data}) for ${s.cmd} MsgRef ${s.msgRef} CmdRef ${s.cmdRef}, which has one item`);
      } else if (again.what === 'add' && code !== 200 && code !== 215) {
        this.ctx.log('warn', `device ${devId}: Add of ${again.deployment.node} answered ${code} for some items; the Exec will fail`);
        again.deployment.state = 'refused';
      }
      return;
    }
    const tag = first!;
    out.sent.delete(key);
    out.answered.set(key, tag);
    if (code === 215) return; // not executed: the device refused our credential; the command is re-sent
    const found = st.flow.found;
    switch (tag.what) {
      case 'get-tree':
        if (code !== 200) found.treeRefused = code;
        break;
      case 'get-list':
      case 'get-items':
        if (code !== 200) {
          found.getFailed = `Get ${s.targetRefs.join(', ') || ''} answered ${code}`;
          this.ctx.log('warn', `device ${devId}: ${found.getFailed}`);
        }
        break;
      case 'get-firmware':
        if (code !== 200) found.firmware = { refused: code };
        break;
      case 'ui':
        this.flow.onUiAnswer(st, tag, s, code);
        break;
      case 'add':
        if (code !== 200) {
          this.ctx.log('warn', `device ${devId}: Add of ${tag.deployment.node} answered ${code}; the Exec will fail`);
          tag.deployment.state = 'refused';
        }
        break;
      case 'exec': {
        const d = tag.deployment;
        d.execStatus = code;
        if (code === 202 || code === 200) {
          d.state = 'accepted';
          this.ctx.log(
            'info',
            `device ${devId} accepted ${d.operation} of ${d.componentId} ${d.version} (${code}); waiting for its result alert`,
          );
        } else {
          d.state = 'refused';
          this.ctx.log('warn', `device ${devId} refused ${d.operation} of ${d.componentId} ${d.version} with ${code}`);
        }
        break;
      }
      case 'other':
        break;
    }
  }

  /** Results of the device for a Get the server sent: the inventory, its list, or its whole tree. */
  onResults(st: SessionState, r: ResultsCmd): void {
    // Results follow their Get's Status, which already settled the Get itself: they have their own key.
    const key = `${r.msgRef ?? ''}:${r.cmdRef}#results`;
    const found = st.flow.found;
    const tag = st.out.sent.get(key) ?? found.treeResults.get(key);
    if (!tag || (tag.what !== 'get-tree' && tag.what !== 'get-list' && tag.what !== 'get-items' && tag.what !== 'get-firmware')) {
      this.ctx.deviate(
        st,
        `Results for MsgRef ${r.msgRef ?? '?'} CmdRef ${r.cmdRef}, which is not a Get this server sent${r.msgRef === undefined ? ' (Results without MsgRef)' : ''}`,
      );
      return;
    }
    st.out.sent.delete(key);
    if (r.items.some((i) => i.moreData))
      this.ctx.deviate(st, 'Results with MoreData: large objects in Results are not supported by the lab server');
    if (tag.what === 'get-firmware') {
      found.firmware = readFirmwareResults(r.items);
      return;
    }
    if (tag.what === 'get-tree') {
      // A subtree may come as several Results for the one Get. Of its nodes the component leaves matter; the
      // rest (interior nodes, State, Operations ...) is expected, not stray.
      found.treeResults.set(key, tag);
      this.overLimit(st, readComponentResults(r.items, found.inventory, MAX_COMPONENTS_PER_DEVICE).overLimit);
      return;
    }
    if (tag.what === 'get-list') {
      const names = childNames(r.items);
      found.listNodes = names.slice(0, MAX_COMPONENTS_PER_DEVICE);
      this.overLimit(st, names.length - found.listNodes.length, 'name(s)');
      return;
    }
    const read = readComponentResults(r.items, found.inventory, MAX_COMPONENTS_PER_DEVICE);
    for (const s of read.stray) this.ctx.deviate(st, `Results item ${s} was not asked for`);
    this.overLimit(st, read.overLimit);
  }

  private overLimit(st: SessionState, n: number, what = 'Results item(s)'): void {
    if (n > 0) this.ctx.deviate(st, `the inventory names more than ${MAX_COMPONENTS_PER_DEVICE} components: ${n} more ${what} not read`);
  }

  /** At the end of a device package every server command must have its Status, every good Get its Results. */
  checkAllAnswered(st: SessionState): void {
    const found = st.flow.found;
    for (const [key, tag] of st.out.sent) {
      st.out.sent.delete(key);
      if (key.endsWith('#results')) {
        const refused =
          tag.what === 'get-tree'
            ? found.treeRefused !== undefined
            : tag.what === 'get-firmware'
              ? found.firmware?.refused !== undefined
              : found.getFailed !== undefined;
        if (!refused) this.ctx.deviate(st, `no Results for the Get ${key.slice(0, -'#results'.length)} (MsgRef:CmdRef)`);
        continue;
      }
      this.ctx.deviate(st, `no Status for the server's ${tag.what} command (MsgRef:CmdRef ${key}); every command needs one`);
    }
  }
}
