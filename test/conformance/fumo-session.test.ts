// A whole firmware update on the wire, in XML and in WBXML, device and lab server in process: every message
// both ways is DTD-valid (xmllint) and reads the same through libwbxml; the round trips and bytes are the
// figures of docs (agent/fumo/README.md), reported as test diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmAgent } from '../../agent/agent.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import { decodeMessage, encodeMessage, type Encoding } from '../../agent/syncml/codec.js';
import { decodeXml } from '../../agent/syncml/xml-decode.js';
import { utf8Encode } from '../../agent/util/bytes.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { loadCatalog } from '../../lab/server/catalog.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FirmwareBench } from '../helpers/fake-firmware.js';
import { normalize } from '../helpers/normalize.js';
import { needDtd, needPeer, repoRoot, wbxml2xml, xmllintValidate } from '../helpers/peers.js';
import { PKG_BASE, catalogHardware, makeServer } from '../lab/server/fixtures.js';

const desc = parseDeviceDescription(JSON.parse(readFileSync(join(repoRoot, 'lab/examples/device-current.json'), 'utf8')));
const IMAGE = 'fw-ts-agent-1-1.1.0.json';

/** A user check that updates the firmware, the restart, and the new firmware's sessions: every message on the wire. */
async function firmwareUpdate(encoding: Encoding) {
  const { server } = makeServer({ catalog: loadCatalog(join(repoRoot, 'lab/examples/catalog-firmware.json')) });
  const storage = new MemoryStorage();
  const bench = new FirmwareBench(storage, { firmware: 'TS-Agent-1', version: '1.0.0' });
  bench.files.set(`${PKG_BASE}/${IMAGE}`, new Uint8Array(readFileSync(join(repoRoot, 'lab/examples/packages', IMAGE))));
  const wire: { from: 'device' | 'server'; body: Uint8Array }[] = [];
  const boot = () =>
    DmAgent.boot(
      desc,
      {
        storage,
        clock: new FakeClock(),
        crypto: nodeCrypto,
        ...catalogHardware([]),
        firmware: bench.powerOn(),
        transport: {
          exchange: async (out) => {
            wire.push({ from: 'device', body: out.body });
            const r = await server.handle(out.body, { uri: out.uri, contentType: out.contentType });
            if (!r || (r.status ?? 200) !== 200) throw new Error('server refused');
            wire.push({ from: 'server', body: r.body });
            return { body: r.body, contentType: r.contentType };
          },
        },
      },
      { encoding, ui: { answer: async () => ({ status: 200, items: [] }) } },
    );
  const a = await boot();
  a.requestUpdate('user');
  const before = await a.runSession();
  const after = await (await boot()).runSession();
  assert.deepEqual(
    server.outcomes().map((o) => o.resultCode),
    [200],
  );
  return { wire, before, after };
}

for (const encoding of ['xml', 'wbxml'] as const) {
  test(`a firmware update in ${encoding.toUpperCase()}: every message DTD-valid and read alike by libwbxml`, {
    skip: needDtd() || needPeer('wbxml2xml'),
  }, async (t) => {
    const { wire, before, after } = await firmwareUpdate(encoding);
    const execs = wire.flatMap((m) => decodeMessage(m.body).body).filter((c) => c.kind === 'Exec');
    assert.deepEqual(
      execs.map((c) => c.items[0]?.target?.locURI),
      ['./FUMO/fw/DownloadAndUpdate'],
    );
    for (const [i, m] of wire.entries()) {
      const model = decodeMessage(m.body);
      const xml = encoding === 'xml' ? m.body : encodeMessage(model, 'xml');
      assert.equal(xmllintValidate(xml), '', `message ${i + 1} (${m.from}) is DTD-valid`);
      if (encoding === 'wbxml')
        assert.deepEqual(normalize(decodeXml(utf8Encode(wbxml2xml(m.body)))), normalize(model), `message ${i + 1} through libwbxml`);
    }
    const bytes = (from: string) => wire.filter((m) => m.from === from).reduce((n, m) => n + m.body.length, 0);
    t.diagnostic(
      `${encoding}: before the restart ${before.sessions} session(s), ${before.roundTrips} round trips; after it ${after.sessions} session(s), ` +
        `${after.roundTrips} round trips; device sent ${bytes('device')} B, server sent ${bytes('server')} B`,
    );
    assert.equal(before.roundTrips + after.roundTrips, wire.length / 2);
  });
}
