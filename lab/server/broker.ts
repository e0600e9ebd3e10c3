// An embedded MQTT 3.1.1 broker (aedes on a net server) so the MQTT binding can be tried without mosquitto.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

export interface RunningBroker {
  /** mqtt://host:port */
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(o: { port?: number; host?: string } = {}): Promise<RunningBroker> {
  const aedes = await Aedes.createBroker();
  const net = createServer(aedes.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      net.once('error', reject);
      net.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
        net.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    // The broker's own timers would keep the process alive after the error: `serve` printed EADDRINUSE and
    // went on running. Close it, and say which address was taken.
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    const code = (e as { code?: string }).code;
    throw new Error(
      `embedded MQTT broker: cannot listen on ${o.host ?? '127.0.0.1'}:${o.port ?? 0}${code ? ` (${code})` : ''}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const a = net.address() as AddressInfo;
  return {
    url: `mqtt://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        aedes.close(() => net.close(() => resolve()));
      }),
  };
}
