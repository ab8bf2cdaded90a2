/**
 * `npm run sims`: the three PSA simulators on fixed ports, for trying psa-sync by hand (`npm start`
 * runs this too in development and points the worker and the API at it).
 * ConnectWise speaks HTTPS with a test CA written to .data/sims/connectwise-ca.pem; point
 * PSA_EXTRA_CA_FILE at it and set PSA_ALLOW_PRIVATE_NETWORKS=true PSA_ALLOW_HTTP=true
 * AUTOTASK_ZONE_URL=http://127.0.0.1:7802 when running `npm start` against them.
 * Their companies include the awkward names real PSAs hold (suffix variants, duplicates, accents,
 * "The …"), so an organization import shows near-duplicates and ties as it would in production.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createSeed as connectwiseSeed, startConnectWiseSim } from './connectwise';
import { createSeed as autotaskSeed, startAutotaskSim } from './autotask';
import { createSeed as halopsaSeed, startHaloPsaSim } from './halopsa';

const PORTS = {
  connectwise: Number(process.env.SIM_CONNECTWISE_PORT ?? 7801),
  autotask: Number(process.env.SIM_AUTOTASK_PORT ?? 7802),
  halopsa: Number(process.env.SIM_HALOPSA_PORT ?? 7803),
};

async function main(): Promise<void> {
  const seed = { awkwardCompanies: true };
  const cw = await startConnectWiseSim({ port: PORTS.connectwise, seed: () => connectwiseSeed(seed) });
  const at = await startAutotaskSim({ port: PORTS.autotask, seed: autotaskSeed(seed) });
  const halo = await startHaloPsaSim({ port: PORTS.halopsa, seed: () => halopsaSeed(seed) });
  const dir = path.resolve(__dirname, '..', '.data', 'sims');
  fs.mkdirSync(dir, { recursive: true });
  const caFile = path.join(dir, 'connectwise-ca.pem');
  fs.writeFileSync(caFile, cw.ca);
  console.log(`ConnectWise  ${cw.url}  (HTTPS; CA in ${caFile})`);
  console.log(`Autotask     ${at.url}  (zone discovery: ${at.url}/ATServicesRest/V1.0/zoneInformation)`);
  console.log(`HaloPSA      ${halo.url}`);
  console.log('Fault injection: POST <sim>/__sim/faults, GET <sim>/__sim/log, POST <sim>/__sim/reset. Ctrl-C stops.');
  const stop = () => void Promise.all([cw.close(), at.close(), halo.close()]).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Under the `npm start` launcher: say where they are; leave when the launcher goes.
  process.once('disconnect', stop);
  process.send?.({ type: 'ready', urls: { connectwise: cw.url, autotask: at.url, halopsa: halo.url }, caFile });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
