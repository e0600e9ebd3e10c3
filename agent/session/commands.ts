// Command execution: what each of the server's commands does and the Statuses (and Results) it gets
// (DM Protocol §8, DM RepPro §6): Add, Replace, Delete, Copy and Get on the DM tree under its ACLs, Exec
// through the registered handlers, UI alerts through the UiResponder. The session dispatches to these and
// runs the containers (Atomic, Sequence) itself, since their children go through its dispatch again.
// Statuses go into the array the caller gives (the outbox's queue, or an Atomic's own), in order.
import type { AlertCmd, Command, ExecCmd, Item, ItemCmd, Meta, ResultsCmd } from '../syncml/model.js';
import { AlertCode } from '../syncml/model.js';
import type { NodeFormat, NodeProperty, NodeView } from '../tree/types.js';
import type { SessionOptions } from './types.js';
import { DmError, asDmError } from '../errors.js';
import { base64Encode, utf8Length } from '../util/bytes.js';
import type { LargeObjects } from './large-object.js';
import type { Outbox } from './outbox.js';
import { commandStatus, treeUri } from '../syncml/statuses.js';

/** The options of the session (SessionOptions documents them) its commands run with. */
export type CommandOptions = Pick<SessionOptions, 'tree' | 'account' | 'encoding' | 'exec' | 'ui' | 'maxListNodes' | 'log'>;

/** Per-message processing context: which commands are skipped after a cancel. */
export interface RunContext {
  msgRef: string;
  /** 214 user cancel: the rest of the package is not executed (215). */
  cancelled: boolean;
  inAtomic: boolean;
}

export class Commands {
  /** The tree changed since the session last committed it. */
  changed = false;
  /** Execs answered 202: work to run after the session. */
  execAccepted = 0;

  declare private readonly o: CommandOptions;
  declare private readonly large: LargeObjects;
  declare private readonly outbox: Outbox;

  constructor(o: CommandOptions, large: LargeObjects, outbox: Outbox) {
    this.o = o;
    this.large = large;
    this.outbox = outbox;
  }

  async runAlert(c: AlertCmd, ctx: RunContext, out: Command[]): Promise<number> {
    const code = c.data ?? '';
    if (this.o.ui && code >= AlertCode.Display && code <= AlertCode.MultipleChoice) {
      const answer = await this.o.ui.answer(c);
      if (answer.status === 214) ctx.cancelled = true;
      return emit(out, ctx, c, answer.status, answer.items);
    }
    // A UI alert without a UI; 1200/1201/1224/1226 are client→server; anything else is not a DM alert we act on.
    return emit(out, ctx, c, 406);
  }

  runItems(c: ItemCmd, ctx: RunContext, out: Command[]): number {
    if (c.items.length === 0) return emit(out, ctx, c, 412);
    // One Status per distinct result, each naming its items, so a partial failure is visible per node.
    const results: { code: number; item: Item }[] = [];
    for (const item of c.items) results.push({ code: this.runItem(c, item), item });
    const codes = [...new Set(results.map((r) => r.code))];
    if (codes.length === 1) return emit(out, ctx, c, codes[0]!);
    for (const code of codes)
      emit(
        out,
        ctx,
        c,
        code,
        [],
        results.filter((r) => r.code === code).map((r) => r.item),
      );
    return codes.find((x) => x >= 300) ?? codes[0]!;
  }

  private runItem(c: ItemCmd, item: Item): number {
    const tree = this.o.tree;
    const who = this.o.account.serverId;
    try {
      const targetUri = item.target?.locURI;
      if (c.kind === 'Copy') {
        if (!targetUri || !item.source?.locURI) return 412;
        tree.copy(treeUri(targetUri), treeUri(item.source.locURI), who);
        this.changed = true;
        return 200;
      }
      if (!targetUri) return 412;
      const uri = treeUri(targetUri);
      if (c.kind === 'Delete') {
        tree.delete(uri, who);
        this.changed = true;
        return 200;
      }
      const meta: Meta = { ...c.meta, ...item.meta };
      let data = item.data;
      if (item.moreData || this.large.uri !== undefined) {
        const r = this.large.addChunk(c.kind as 'Add' | 'Replace', uri, meta, item);
        if (r.code !== 0) return r.code;
        data = r.data;
      }
      if (propOf(uri)) {
        const { base, prop } = propOf(uri)!;
        if (c.kind !== 'Replace' || (prop !== 'ACL' && prop !== 'Name' && prop !== 'Title')) return 405;
        tree.replaceProperty(base, prop, typeof data === 'string' ? data : '', who);
        this.changed = true;
        return 200;
      }
      const format = (meta.format ?? (c.kind === 'Add' ? 'chr' : undefined)) as NodeFormat | undefined;
      if (format === 'b64' && data instanceof Uint8Array) data = base64Encode(data);
      if (c.kind === 'Add') {
        tree.add(uri, { format: format ?? 'chr', type: meta.type || undefined, data: format !== 'node' ? data : undefined }, who);
      } else {
        tree.replace(uri, { format: format || undefined, type: meta.type || undefined, data: data ?? '' }, who);
      }
      this.changed = true;
      return 200;
    } catch (e) {
      return asDmError(e).status;
    }
  }

  runGet(c: ItemCmd, ctx: RunContext, out: Command[]): number {
    if (c.items.length === 0) return emit(out, ctx, c, 412);
    const ok: Item[] = [];
    const trees: Item[][] = [];
    const failed: { code: number; item: Item }[] = [];
    for (const item of c.items) {
      const target = item.target?.locURI;
      if (!target) {
        failed.push({ code: 412, item });
        continue;
      }
      try {
        const list = listOf(target);
        if (list) trees.push(this.listItems(list.base, list.data));
        else ok.push(this.getItem(target));
      } catch (e) {
        failed.push({ code: asDmError(e).status, item });
      }
    }
    const okItems = c.items.filter((it) => !failed.some((f) => f.item === it));
    if (failed.length === 0) emit(out, ctx, c, 200);
    else {
      if (okItems.length > 0) emit(out, ctx, c, 200, [], okItems);
      for (const f of failed) emit(out, ctx, c, f.code, [], [f.item]);
    }
    if (ok.length > 0) {
      // Results follow the Status of their Get (DM Protocol §8, package 3).
      const results: ResultsCmd = { kind: 'Results', cmdId: '', msgRef: ctx.msgRef, cmdRef: c.cmdId, items: ok };
      out.push(results);
    }
    // A subtree may go as several Results (DM TND §8.4.2): each small enough that a message can break between
    // them to fit the server's MaxMsgSize, where one Results with every node could not be split.
    for (const items of trees) {
      for (const chunk of this.resultChunks(items))
        out.push({ kind: 'Results', cmdId: '', msgRef: ctx.msgRef, cmdRef: c.cmdId, items: chunk });
    }
    return failed.length === 0 ? 200 : failed[0]!.code;
  }

  /**
   * Items in groups of about a quarter of the message size limit (Outbox.sendLimit) at most, by their XML size
   * with every element present (160 B) plus URI, Type and value: the other three quarters leave room for
   * escaped characters, the Results element and the rest of the message.
   */
  private resultChunks(items: Item[]): Item[][] {
    const limit = this.outbox.sendLimit();
    const budget = limit > 0 ? limit / 4 : Infinity;
    const chunks: Item[][] = [];
    let chunk: Item[] = [];
    let size = 0;
    for (const it of items) {
      const d = it.data;
      const n =
        160 +
        (it.source?.locURI.length ?? 0) +
        (it.meta?.type?.length ?? 0) +
        (d === undefined ? 0 : typeof d === 'string' ? utf8Length(d) : (d.length * 4) / 3);
      if (chunk.length > 0 && size + n > budget) {
        chunks.push(chunk);
        chunk = [];
        size = 0;
      }
      chunk.push(it);
      size += n;
    }
    if (chunk.length > 0) chunks.push(chunk);
    return chunks;
  }

  /** `?list=Struct` (nodes, formats, types) or `?list=StructData` (and the leaves' values) of a subtree. */
  private listItems(base: string, withData: boolean): Item[] {
    return this.o.tree.list(treeUri(base), this.o.account.serverId, this.o.maxListNodes ?? MAX_LIST_NODES).map((v) => {
      const item = this.itemOf(v, v.uri, withData);
      // Meta only where Type or Format differ from the defaults (DM TND §8.4.2): a plain chr leaf has none.
      if (item.meta!.format === 'chr' && item.meta!.type === undefined) delete item.meta;
      return item;
    });
  }

  private getItem(target: string): Item {
    const uri = treeUri(target);
    const who = this.o.account.serverId;
    const p = propOf(uri);
    if (p) {
      const value = this.o.tree.getProperty(p.base, p.prop, who);
      return { source: { locURI: target }, meta: { format: 'chr' }, data: value };
    }
    if (uri.includes('?')) throw new DmError('DM_ERR_NOT_SUPPORTED', 406, `query '${uri.slice(uri.indexOf('?'))}' not supported`);
    const v = this.o.tree.get(uri, who);
    if (!v.leaf) {
      // Interior node: its child names joined by '/' (DM TND §7.7.6 Get on an interior node).
      const item = this.itemOf(v, target, false);
      item.data = (v.children ?? []).join('/');
      return item;
    }
    return this.itemOf(v, target, true);
  }

  /** A node as a Results item: Source, Meta Format/Type, and the value when asked for. */
  private itemOf(v: NodeView, locURI: string, withData: boolean): Item {
    const item: Item = { source: { locURI }, meta: { format: v.leaf ? v.format : 'node' } };
    if (v.type) item.meta!.type = v.type;
    if (v.leaf && withData && v.format !== 'null') {
      let data = v.data ?? '';
      if (data instanceof Uint8Array && this.o.encoding === 'xml') {
        data = base64Encode(data);
        item.meta!.format = 'b64';
      }
      item.data = data;
    }
    return item;
  }

  async runExec(c: ExecCmd, ctx: RunContext, out: Command[]): Promise<number> {
    if (ctx.inAtomic) return emit(out, ctx, c, 500);
    const target = c.items[0]?.target?.locURI;
    if (!target) return emit(out, ctx, c, 412);
    const uri = treeUri(target);
    this.o.tree.checkExec(uri, this.o.account.serverId);
    const handler = this.o.exec.find(uri);
    if (!handler) return emit(out, ctx, c, 405);
    const execCtx = { uri, principal: this.o.account.serverId, tree: this.o.tree } as Parameters<typeof handler>[0];
    if (c.correlator !== undefined) execCtx.correlator = c.correlator;
    const d = c.items[0]!.data;
    if (d !== undefined) execCtx.data = d;
    const code = await handler(execCtx);
    if (code === 202) this.execAccepted++;
    this.changed = true;
    return emit(out, ctx, c, code);
  }
}

/** Most nodes one `?list=` Get answers: each is an item held in memory until it is sent. */
const MAX_LIST_NODES = 256;

/** `<uri>?list=Struct|StructData`; other list attributes (TNDS) are 406, an optional feature not supported. */
function listOf(uri: string): { base: string; data: boolean } | undefined {
  const q = uri.indexOf('?list=');
  if (q < 0) return undefined;
  const attr = uri.slice(q + 6);
  if (attr !== 'Struct' && attr !== 'StructData')
    throw new DmError('DM_ERR_NOT_SUPPORTED', 406, `?list=${attr} is not supported (Struct and StructData are)`);
  return { base: uri.slice(0, q), data: attr === 'StructData' };
}

function propOf(uri: string): { base: string; prop: NodeProperty } | undefined {
  const q = uri.indexOf('?prop=');
  if (q < 0) return undefined;
  const prop = uri.slice(q + 6) as NodeProperty;
  if (!['ACL', 'Format', 'Type', 'Size', 'Name', 'Title', 'TStamp', 'VerNo'].includes(prop)) {
    throw new DmError('DM_ERR_NOT_SUPPORTED', 406, `property '${prop}' is not supported`);
  }
  return { base: uri.slice(0, q), prop };
}

/**
 * Answers a command with `code`: its Status goes out unless the command asked for none (NoResp), with the
 * items given, and its items' (or `refs`') target and source URIs as refs.
 */
export function emit(out: Command[], ctx: RunContext, c: Command, code: number, items: Item[] = [], refs?: Item[]): number {
  if (!('noResp' in c && c.noResp))
    out.push(commandStatus(ctx.msgRef, c, code, items, refs ?? ('items' in c && c.kind !== 'Alert' ? c.items : [])));
  return code;
}
