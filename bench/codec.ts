// Codec throughput, side by side in one run so the ratios hold on a noisy machine.
// - Ours on the corpus (test/helpers/corpus.ts): encode and decode, XML and WBXML, messages/s and MB/s.
// - XML beside xmlbuilder2 (building the same element tree) + fast-xml-parser (parsing the same bytes).
// - WBXML beside libwbxml's xml2wbxml / wbxml2xml. Those are whole processes, and timing one process per
//   message would mostly time process start-up, which is unfair to libwbxml. So each tool converts one batch
//   document (the corpus's commands repeated to about 300 KB: libwbxml grows faster than linearly beyond
//   ~1 MB, which would be unfair too) and one tiny document, several times; its
//   rate is (big bytes − tiny bytes) / (median big time − median tiny time), which cancels start-up. Ours does
//   the same conversions (XML in → WBXML out, and WBXML in → XML out) on the same batch document in process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'xmlbuilder2';
import { XMLParser } from 'fast-xml-parser';
import type { El } from '../agent/syncml/element.js';
import type { Command, SyncMLMessage } from '../agent/syncml/model.js';
import { decodeMessage, encodeMessage } from '../agent/syncml/codec.js';
import { decodeXml } from '../agent/syncml/xml-decode.js';
import { decodeWbxml, decodeWbxmlMessage } from '../agent/syncml/wbxml-decode.js';
import { encodeWbxmlMessage } from '../agent/syncml/wbxml-encode.js';
import { elementToXml, encodeXml } from '../agent/syncml/xml-encode.js';
import { messageToElement } from '../agent/syncml/map.js';
import { sampleMessages } from '../test/helpers/corpus.js';

/** Runs fn repeatedly for at least `ms`; returns operations per second. */
export function rate(fn: () => void, ms = 400): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** xmlbuilder2's object form of one of our elements (namespaces as attributes, as in our XML). */
function toBuilderObject(e: El, rootNs?: string): Record<string, unknown> {
  const node: Record<string, unknown> = {};
  if (rootNs) node['@xmlns'] = rootNs;
  else if (e.ns) node['@xmlns'] = e.ns;
  const kids: Record<string, unknown[]> = {};
  let text = '';
  for (const c of e.children) {
    if (typeof c === 'string') text += c;
    else if (c instanceof Uint8Array) text += Buffer.from(c).toString('latin1');
    else (kids[c.name] ??= []).push(toBuilderObject(c));
  }
  if (text) node['#'] = text;
  for (const [k, v] of Object.entries(kids)) node[k] = v.length === 1 ? v[0] : v;
  return node;
}

export interface CodecFigures {
  corpus: { messages: number; xmlBytes: number; wbxmlBytes: number };
  ours: Record<'xmlEncode' | 'xmlDecode' | 'wbxmlEncode' | 'wbxmlDecode', { msgsPerS: number; mbPerS: number }>;
  xmlPeers: { buildMsgsPerS: number; parseMsgsPerS: number };
  /** Round trip (encode + decode) of the corpus, ours over xmlbuilder2 + fast-xml-parser. */
  xmlVsXmlbuilder2: number;
  libwbxml?: { xml2wbxmlMBs: number; wbxml2xmlMBs: number; oursXml2wbxmlMBs: number; oursWbxml2xmlMBs: number; batchBytes: number };
  /** Ours over libwbxml, for the two conversions taken together (harmonic: total time for both). */
  wbxmlVsLibwbxml?: number;
}

export function batchMessage(targetBytes: number): SyncMLMessage {
  const corpus = sampleMessages().map((s) => s.msg);
  const commands: Command[] = corpus.flatMap((m) => m.body);
  const one = encodeXml({ hdr: corpus[0]!.hdr, body: commands, final: true }).length;
  const k = Math.max(1, Math.round(targetBytes / one));
  const body: Command[] = [];
  for (let i = 0; i < k; i++) body.push(...commands);
  return { hdr: corpus[0]!.hdr, body, final: true };
}

export function measureCodec(o: { libwbxml: boolean }): CodecFigures {
  const corpus = sampleMessages().map((s) => s.msg);
  const xml = corpus.map((m) => encodeMessage(m, 'xml'));
  const wbxml = corpus.map((m) => encodeMessage(m, 'wbxml'));
  const xmlBytes = xml.reduce((a, b) => a + b.length, 0);
  const wbxmlBytes = wbxml.reduce((a, b) => a + b.length, 0);
  const n = corpus.length;
  const fig = (perS: number, bytes: number) => ({ msgsPerS: perS * n, mbPerS: (perS * bytes) / 1e6 });
  const ours = {
    xmlEncode: fig(
      rate(() => {
        for (const m of corpus) encodeMessage(m, 'xml');
      }),
      xmlBytes,
    ),
    xmlDecode: fig(
      rate(() => {
        for (const b of xml) decodeMessage(b);
      }),
      xmlBytes,
    ),
    wbxmlEncode: fig(
      rate(() => {
        for (const m of corpus) encodeMessage(m, 'wbxml');
      }),
      wbxmlBytes,
    ),
    wbxmlDecode: fig(
      rate(() => {
        for (const b of wbxml) decodeMessage(b);
      }),
      wbxmlBytes,
    ),
  };
  const objects = corpus.map((m) => ({ SyncML: toBuilderObject(messageToElement(m), 'SYNCML:SYNCML1.2') }));
  const strings = xml.map((b) => Buffer.from(b).toString('utf8'));
  const parser = new XMLParser({ ignoreAttributes: false });
  const build = rate(() => {
    for (const obj of objects) create(obj).end();
  });
  const parse = rate(() => {
    for (const s of strings) parser.parse(s);
  });
  const oursRound = 1 / (1 / (ours.xmlEncode.msgsPerS / n) + 1 / (ours.xmlDecode.msgsPerS / n));
  const theirsRound = 1 / (1 / build + 1 / parse);
  const out: CodecFigures = {
    corpus: { messages: n, xmlBytes, wbxmlBytes },
    ours,
    xmlPeers: { buildMsgsPerS: build * n, parseMsgsPerS: parse * n },
    xmlVsXmlbuilder2: oursRound / theirsRound,
  };
  if (o.libwbxml) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-wbxml-'));
    try {
      const big = batchMessage(300_000);
      const tiny = corpus[0]!;
      const limits = { maxBytes: 1 << 26, maxElements: 1 << 22 };
      const files = {
        bigXml: join(dir, 'big.xml'),
        tinyXml: join(dir, 'tiny.xml'),
        bigWb: join(dir, 'big.wbxml'),
        tinyWb: join(dir, 'tiny.wbxml'),
        out: join(dir, 'out'),
      };
      const bigXml = encodeXml(big, { declaration: true });
      writeFileSync(files.bigXml, bigXml);
      writeFileSync(files.tinyXml, encodeXml(tiny, { declaration: true }));
      const time = (tool: string, args: string[]) => {
        const t0 = performance.now();
        execFileSync(tool, args, { stdio: 'ignore' });
        return performance.now() - t0;
      };
      const runs = 7;
      const x2wBig = median(Array.from({ length: runs }, () => time('xml2wbxml', ['-o', files.bigWb, files.bigXml])));
      const x2wTiny = median(Array.from({ length: runs }, () => time('xml2wbxml', ['-o', files.tinyWb, files.tinyXml])));
      const bigWbBytes = readFileSync(files.bigWb).length;
      const tinyWbBytes = readFileSync(files.tinyWb).length;
      const w2xBig = median(Array.from({ length: runs }, () => time('wbxml2xml', ['-o', files.out, files.bigWb])));
      const w2xTiny = median(Array.from({ length: runs }, () => time('wbxml2xml', ['-o', files.out, files.tinyWb])));
      const tinyXmlBytes = readFileSync(files.tinyXml).length;
      const xml2wbxmlMBs = (bigXml.length - tinyXmlBytes) / 1e6 / ((x2wBig - x2wTiny) / 1000);
      const wbxml2xmlMBs = (bigWbBytes - tinyWbBytes) / 1e6 / ((w2xBig - w2xTiny) / 1000);
      // Ours, the same conversions on the same documents (libwbxml's WBXML as input to the decoder).
      const theirWb = new Uint8Array(readFileSync(files.bigWb));
      const oursX2w = median(
        Array.from({ length: runs }, () => {
          const t0 = performance.now();
          encodeWbxmlMessage(decodeXml(bigXml, limits));
          return performance.now() - t0;
        }),
      );
      const oursW2x = median(
        Array.from({ length: runs }, () => {
          const t0 = performance.now();
          elementToXml(decodeWbxml(theirWb, limits));
          return performance.now() - t0;
        }),
      );
      void decodeWbxmlMessage;
      const oursXml2wbxmlMBs = bigXml.length / 1e6 / (oursX2w / 1000);
      const oursWbxml2xmlMBs = bigWbBytes / 1e6 / (oursW2x / 1000);
      out.libwbxml = { xml2wbxmlMBs, wbxml2xmlMBs, oursXml2wbxmlMBs, oursWbxml2xmlMBs, batchBytes: bigXml.length };
      const theirsBoth = bigXml.length / 1e6 / xml2wbxmlMBs + bigWbBytes / 1e6 / wbxml2xmlMBs;
      const oursBoth = bigXml.length / 1e6 / oursXml2wbxmlMBs + bigWbBytes / 1e6 / oursWbxml2xmlMBs;
      out.wbxmlVsLibwbxml = theirsBoth / oursBoth;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(measureCodec({ libwbxml: true }), null, 2));
}
