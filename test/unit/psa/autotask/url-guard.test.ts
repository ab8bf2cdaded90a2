/** Where Autotask credentials may be sent: the zone lookup host, the zone it names, and page cursors. */
import { autotaskFactory, zoneApiBase } from '../../../../psa/autotask';
import { PsaConfigError, PsaValidationError } from '../../../../psa/core/errors';
import { STRICT_URL_POLICY } from '../../../../psa/core/url-guard';
import { SEED_CREDENTIALS, startAutotaskSim } from '../../../../sims/autotask';
import { LOOPBACK_POLICY } from '../harness/autotask';
import { apiCalls, caught, useAutotaskSim } from './helpers';

const at = useAutotaskSim();
const create = (zoneLookup: string, policy = LOOPBACK_POLICY) =>
  autotaskFactory.create({ ...SEED_CREDENTIALS }, { connectionKey: `url-${zoneLookup}`, urlPolicy: policy, autotaskZoneLookupUrl: zoneLookup });

test('the strict policy refuses the loopback simulator, plain http, IP literals and private hosts', async () => {
  for (const url of [at.sim.url, 'http://webservices.autotask.net', 'https://127.0.0.1', 'https://10.0.0.8', 'https://[::1]']) {
    const err = await caught(create(url, STRICT_URL_POLICY));
    expect(err).toBeInstanceOf(PsaConfigError);
  }
  expect(at.sim.server.log).toEqual([]);
});

test('the zone lookup host must be an Autotask host', async () => {
  for (const url of ['https://evil.example.com', 'https://autotask.net.evil.example', 'https://user:pw@webservices.autotask.net']) {
    await expect(create(url)).rejects.toBeInstanceOf(PsaConfigError);
  }
});

test('a zone outside *.autotask.net is refused before any authenticated call, even on the permissive test policy', async () => {
  for (const zoneUrl of ['https://evil.example.com/ATServicesRest/', 'https://webservices15.autotask.net.evil.example/ATServicesRest/', 'ftp://webservices15.autotask.net/']) {
    const sim = await startAutotaskSim({ zoneUrl });
    try {
      const err = await caught(create(sim.url));
      expect(err).toBeInstanceOf(PsaConfigError);
      expect(err.message).toMatch(/Autotask zone URL/);
      expect(apiCalls(sim.server.log)).toEqual([]);
    } finally {
      await sim.close();
    }
  }
});

test('a real Autotask zone is accepted (no request is made to it until the adapter is used)', async () => {
  const sim = await startAutotaskSim({ zoneUrl: 'https://webservices15.autotask.net/ATServicesRest/' });
  try {
    await expect(create(sim.url)).resolves.toMatchObject({ psa: 'autotask' });
  } finally {
    await sim.close();
  }
});

test('zone URLs are normalised to the v1.0 API root', () => {
  const base = (u: string) => zoneApiBase(new URL(u));
  expect(base('https://webservices15.autotask.net/ATServicesRest/')).toBe('https://webservices15.autotask.net/ATServicesRest/V1.0');
  expect(base('https://webservices15.autotask.net/atservicesrest')).toBe('https://webservices15.autotask.net/atservicesrest/V1.0');
  expect(base('https://webservices15.autotask.net')).toBe('https://webservices15.autotask.net/ATServicesRest/V1.0');
  expect(base('https://webservices15.autotask.net/ATServicesRest/v1.0/')).toBe('https://webservices15.autotask.net/ATServicesRest/V1.0');
  expect(base('https://webservices15.autotask.net/ATServicesRest/?x=1#y')).toBe('https://webservices15.autotask.net/ATServicesRest/V1.0');
});

test('a page cursor is followed only within this zone\'s API and only to a next-page URL', async () => {
  const adapter = await at.adapter();
  const first = await adapter.options('organization', 'company', { pageSize: 10 });
  expect(first.nextCursor).toMatch(/\/query\/next\?/);
  at.sim.server.log.length = 0;
  const zone = `${at.sim.url}/ATServicesRest/V1.0`;
  for (const cursor of [
    'http://169.254.169.254/latest/meta-data/',
    `${zone.replace('127.0.0.1', 'localhost')}/Companies/query/next?paging=%7B%7D`,
    `${zone}/../../__sim/reset?x=/query/next`,
    `${zone}/Companies/0`,
    'not a url',
  ]) {
    await expect(adapter.options('organization', 'company', { cursor })).rejects.toBeInstanceOf(PsaValidationError);
  }
  expect(at.sim.server.log).toEqual([]);
  const second = await adapter.options('organization', 'company', { pageSize: 10, cursor: first.nextCursor });
  expect(second.items.map((i) => i.id)).not.toContain(first.items[0]!.id);
});
