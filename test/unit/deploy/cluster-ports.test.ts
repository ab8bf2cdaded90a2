/**
 * Temporal stores a host's membership ports in a smallint column: a port above 32767 makes the
 * server exit at start. Ports picked for test and benchmark clusters stay below it, and the
 * topology's fixed layout does too.
 */
import net from 'node:net';
import { freeLowPort, freeTemporalPorts } from '../../../infra/cluster/ports';
import { TOPOLOGY, temporalPortsFor } from '../../../infra/cluster/topology';

test('ports picked for a Temporal Server run are distinct, free and below 32768', async () => {
  const ports = Object.values(await freeTemporalPorts());
  expect(new Set(ports).size).toBe(ports.length);
  for (const port of ports) expect(port).toBeLessThan(32_768);
  // Free means bindable on loopback right now.
  const port = await freeLowPort();
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
});

test("the topology's port layout is the upstream sample's and stays below 32768", () => {
  const ports = temporalPortsFor(TOPOLOGY.ports.temporalFrontend);
  expect(ports).toEqual({
    frontend: 7233,
    frontendHttp: 7243,
    frontendMembership: 6933,
    history: 7234,
    historyMembership: 6934,
    matching: 7235,
    matchingMembership: 6935,
    worker: 7239,
    workerMembership: 6939,
    pprof: 7936,
    metrics: 8000,
  });
  expect(new Set(Object.values(ports)).size).toBe(Object.values(ports).length);
});
