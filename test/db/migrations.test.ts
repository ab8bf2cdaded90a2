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
  beforeAll(async () => {
    await migrateToLatest(db);
  });

  /** A partner of its own with a plan, so each test stands alone. */
  async function partnerWithPlan() {
    const partnerId = (await db.insertInto('partners').values({ name: `P ${randomUUID()}`, kind: 'direct_reseller', parentId: null }).returning('id').executeTakeFirstOrThrow()).id;
    const planId = (await db.insertInto('plans').values({ partnerId, name: 'Plan' }).returning('id').executeTakeFirstOrThrow()).id;
    return { partnerId, planId };
  }

  const connection = (partnerId: string, psa: 'autotask' | 'halopsa', status: 'connected' | 'revoked' = 'connected') =>
    db.insertInto('connections').values({ partnerId, psa, status, site: JSON.stringify({}) }).returning(['id', 'psa']).executeTakeFirstOrThrow();

  /** The statement fails on this constraint and no other (PostgreSQL names it on the error). */
  const violates = (statement: Promise<unknown>, constraint: string) => expect(statement).rejects.toMatchObject({ constraint });

  test('one live connection per partner × PSA; revoked ones do not count', async () => {
    const { partnerId } = await partnerWithPlan();
    await connection(partnerId, 'autotask', 'revoked');
    await connection(partnerId, 'autotask');
    await violates(connection(partnerId, 'autotask'), 'connections_one_live_per_partner_psa');
    await expect(connection(partnerId, 'halopsa')).resolves.toBeDefined();
  });

  test('one plan mapping per plan × connection, but a plan may map to several connections', async () => {
    const { partnerId, planId } = await partnerWithPlan();
    const a = await connection(partnerId, 'autotask');
    const h = await connection(partnerId, 'halopsa');
    const map = (connectionId: string, psa: 'autotask' | 'halopsa') =>
      db.insertInto('planMappings').values({ planId, connectionId, psa, values: JSON.stringify({ service: '1' }) }).execute();
    await map(a.id, 'autotask');
    await map(h.id, 'halopsa');
    await violates(map(a.id, 'autotask'), 'plan_mappings_one_per_connection');
  });

  test('an organization has at most one mapping', async () => {
    const { partnerId, planId } = await partnerWithPlan();
    const org = await db.insertInto('organizations').values({ partnerId, planId, name: 'Org' }).returning('id').executeTakeFirstOrThrow();
    const [first, second] = [await connection(partnerId, 'autotask'), await connection(partnerId, 'halopsa')];
    await db.insertInto('organizationMappings').values({ organizationId: org.id, connectionId: first.id, psa: first.psa, values: '{}' }).execute();
    await violates(
      db.insertInto('organizationMappings').values({ organizationId: org.id, connectionId: second.id, psa: second.psa, values: '{}' }).execute(),
      'organization_mappings_organization_id_key',
    );
  });

  test('a sub-reseller needs a parent', async () => {
    await violates(db.insertInto('partners').values({ name: 'S', kind: 'sub_reseller', parentId: null }).execute(), 'partners_parent_by_kind');
  });

  test('credentials need a key id, and a key id needs credentials', async () => {
    const { partnerId } = await partnerWithPlan();
    const row = { partnerId, psa: 'connectwise' as const, status: 'connected' as const, site: '{}' };
    await violates(db.insertInto('connections').values({ ...row, credentials: Buffer.from('x') }).execute(), 'connections_key_with_ciphertext');
    await violates(db.insertInto('connections').values({ ...row, credentialsKeyId: 'k' }).execute(), 'connections_key_with_ciphertext');
    // Both together are what the rule asks for.
    await expect(db.insertInto('connections').values({ ...row, credentials: Buffer.from('x'), credentialsKeyId: 'k' }).execute()).resolves.toBeDefined();
  });

  test('revoked rows hold no credentials', async () => {
    const { partnerId } = await partnerWithPlan();
    await violates(
      db.insertInto('connections').values({ partnerId, psa: 'connectwise', status: 'revoked', site: '{}', credentials: Buffer.from('x'), credentialsKeyId: 'k' }).execute(),
      'connections_revoked_has_no_credentials',
    );
  });
});
