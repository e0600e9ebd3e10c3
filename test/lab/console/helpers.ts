// A lab with its console on a free loopback port, for the console's tests: the example catalog (a copy the
// test may change), or the one named, the accounts given, and the console's options.
import { join } from 'node:path';
import { LabConsole, type ConsoleOptions } from '../../../lab/console/console.js';
import { loadCatalog, type Catalog } from '../../../lab/server/catalog.js';
import { startLab, type RunningLab } from '../../../lab/server/lab.js';
import type { DeviceAccount } from '../../../lab/server/auth.js';
import { encodeXml } from '../../../agent/syncml/xml-encode.js';
import type { SyncMLMessage } from '../../../agent/syncml/model.js';
import { repoRoot } from '../../helpers/peers.js';
import { withDefined } from '../../../agent/util/options.js';

export interface ConsoleLab {
  bench: LabConsole;
  lab: RunningLab;
  catalog: Catalog;
  /** http://127.0.0.1:PORT (no trailing slash) */
  origin: string;
  close(): Promise<void>;
}

export async function startConsoleLab(
  o: { devices?: DeviceAccount[]; console?: ConsoleOptions; page?: boolean; mqtt?: boolean; catalog?: string; strict?: boolean } = {},
): Promise<ConsoleLab> {
  const bench = new LabConsole(o.console ?? {});
  if (o.page) await bench.prepare();
  const catalog = loadCatalog(join(repoRoot, o.catalog ?? 'lab/examples/catalog.json'));
  const lab = await startLab(
    withDefined(
      {
        catalog,
        devices: o.devices ?? [{ username: 'dmuser', password: 'dmpass', auth: 'md5' as const }],
        port: 0,
        console: bench.hooks(),
      },
      { mqtt: o.mqtt ? 'embedded' : undefined, strict: o.strict ? true : undefined },
    ),
  );
  bench.attach(lab, catalog);
  return {
    bench,
    lab,
    catalog,
    origin: lab.dmUrl.replace(/\/dm$/, ''),
    close: async () => {
      bench.close();
      await lab.close();
    },
  };
}

/** POSTs a device message (XML) to the lab's DM endpoint; the HTTP status and the body as text. */
export async function postDm(c: ConsoleLab, msg: SyncMLMessage): Promise<{ status: number; text: string }> {
  const r = await fetch(c.lab.dmUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.syncml.dm+xml' },
    body: encodeXml(msg),
  });
  return { status: r.status, text: await r.text() };
}
