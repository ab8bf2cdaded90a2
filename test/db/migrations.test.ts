import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createDb, ensureDatabase, type Db } from '../../db/connect';
import { migrateToBottom, migrateToLatest } from '../../db/migrator';
import { migrations } from '../../db/migrations';

/** A scratch database of its own, so up/down cannot disturb the run's shared one. */
let db: Db;
let scratchUrl: string;

beforeAll(async () => {
  const url = new URL(process.env.DATABASE_URL as string);
  url.pathname = `${url.pathname}_mig`;
  scratchUrl = url.toString();
  await ensureDatabase(scratchUrl);
  db = createDb(scratchUrl, 2);
});
afterAll(async () => {
  await db.destroy();
  const admin = new URL(scratchUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const a = createDb(admin.toString(), 1);
  await sql.raw(`drop database if exists "${name}" with (force)`).execute(a);
  await a.destroy();
});

const tables = async () =>
  (await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = 'public' and table_name not like 'kysely_%' order by 1`.execute(db)).rows.map((r) => r.t);

test('every migration applies, rolls back to an empty schema, and applies again', async () => {
  await migrateToLatest(db);
  const up = await tables();
  expect(up).toEqual(expect.arrayContaining(['partners', 'users', 'connections', 'ticket_mappings', 'plans', 'plan_mappings', 'organizations', 'organization_mappings', 'alerts', 'tickets', 'seat_sync_state', 'audit_log']));
  await migrateToBottom(db);
  expect(await tables()).toEqual([]);
  const again = await migrateToLatest(db);
  expect(again.results?.map((r) => r.migrationName)).toEqual(Object.keys(migrations));
});

describe('constraints', () => {
  let partnerId: string;
  let planId: string;
  beforeAll(async () => {
    await migrateToLatest(db);
    partnerId = (await db.insertInto('partners').values({ name: 'P', kind: 'direct_reseller', parentId: null }).returning('id').executeTakeFirstOrThrow()).id;
    planId = (await db.insertInto('plans').values({ partnerId, name: 'Plan' }).returning('id').executeTakeFirstOrThrow()).id;
  });

  const connection = (psa: 'autotask' | 'halopsa', status: 'connected' | 'revoked' = 'connected') =>
    db.insertInto('connections').values({ partnerId, psa, status, site: JSON.stringify({}) }).returning('id').executeTakeFirstOrThrow();

  test('one live connection per partner × PSA; revoked ones do not count', async () => {
    await connection('autotask', 'revoked');
    await connection('autotask');
    await expect(connection('autotask')).rejects.toThrow(/connections_one_live_per_partner_psa/);
    await expect(connection('halopsa')).resolves.toBeDefined();
  });

  test('one plan mapping per plan × connection, but a plan may map to several connections', async () => {
    const a = await db.selectFrom('connections').select('id').where('psa', '=', 'autotask').where('status', '=', 'connected').executeTakeFirstOrThrow();
    const h = await db.selectFrom('connections').select('id').where('psa', '=', 'halopsa').executeTakeFirstOrThrow();
    const map = (connectionId: string, psa: 'autotask' | 'halopsa') =>
      db.insertInto('planMappings').values({ planId, connectionId, psa, values: JSON.stringify({ service: '1' }) }).execute();
    await map(a.id, 'autotask');
    await map(h.id, 'halopsa');
    await expect(map(a.id, 'autotask')).rejects.toThrow(/plan_mappings_one_per_connection/);
  });

  test('an organization has at most one mapping', async () => {
    const org = await db.insertInto('organizations').values({ partnerId, planId, name: 'Org' }).returning('id').executeTakeFirstOrThrow();
    const conns = await db.selectFrom('connections').select(['id', 'psa']).where('status', '=', 'connected').execute();
    const [first, second] = conns;
    await db.insertInto('organizationMappings').values({ organizationId: org.id, connectionId: first!.id, psa: first!.psa, values: '{}' }).execute();
    await expect(
      db.insertInto('organizationMappings').values({ organizationId: org.id, connectionId: second!.id, psa: second!.psa, values: '{}' }).execute(),
    ).rejects.toThrow(/organization_mappings_organization_id/);
  });

  test('a sub-reseller needs a parent; credentials need a key id; revoked rows hold no credentials', async () => {
    await expect(db.insertInto('partners').values({ name: 'S', kind: 'sub_reseller', parentId: null }).execute()).rejects.toThrow(/partners_parent_by_kind/);
    await expect(
      db.insertInto('connections').values({ partnerId: randomUUID(), psa: 'connectwise', status: 'connected', site: '{}', credentials: Buffer.from('x') }).execute(),
    ).rejects.toThrow();
    await expect(
      db.insertInto('connections').values({ partnerId, psa: 'connectwise', status: 'revoked', site: '{}', credentials: Buffer.from('x'), credentialsKeyId: 'k' }).execute(),
    ).rejects.toThrow(/connections_revoked_has_no_credentials/);
  });
});
