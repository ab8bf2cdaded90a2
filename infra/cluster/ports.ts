/**
 * Free ports for a Temporal Server run beside others (tests, benchmarks). Temporal stores its
 * membership ports in a smallint column, so they must stay below 32768, under the kernel's
 * ephemeral range; every port here is picked from 20000–32767 and checked free on 127.0.0.1.
 */
import net from 'node:net';
import type { TemporalPorts } from './topology';

const LOW = 20_000;
const HIGH = 32_767;
const taken = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freeLowPort(): Promise<number> {
  for (let i = 0; i < 200; i += 1) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (taken.has(port)) continue;
    if (await canListen(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${LOW} and ${HIGH}`);
}

export async function freeTemporalPorts(): Promise<TemporalPorts> {
  const names = ['frontend', 'frontendHttp', 'frontendMembership', 'history', 'historyMembership', 'matching', 'matchingMembership', 'worker', 'workerMembership', 'pprof', 'metrics'] as const;
  const ports = {} as Record<(typeof names)[number], number>;
  for (const name of names) ports[name] = await freeLowPort();
  return ports;
}
