/**
 * The directory feed's decisions and writes on real PostgreSQL: versions decide whatever the
 * arrival order (stale, unchanged, tombstones that a late upsert cannot get past), the partner
 * tree stays a tree, each bad record of a batch is refused with its code while the good ones
 * land, hostile strings and ids are refused or canonicalized per record, an organization moved
 * to a plan its PSA has not mapped is flagged, and the reads that authenticate users and take
 * alerts see deactivations, deletions and suspensions at once. Also times a 5,000-record load.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect';
import type { PsaKind } from '../../psa/core/types';
import { testDb } from '../helpers/env';
import { decideAndWrite, type RecordResult } from '../../client/directory';
import { findUser, partnerExists } from '../../db/repositories/directory';
import { receiveAlert } from '../../db/repositories/alerts';
import { clearPlanFlags, organizationMappingsView, saveOrganizationMapping } from '../../db/repositories/mappings';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(async () => {
  await db.destroy();
});

const id = () => randomUUID();
const partner = (pid: string, version: number, extra: Record<string, unknown> = {}) => ({ op: 'upsert', type: 'partner', id: pid, version, name: `Partner ${pid.slice(0, 6)}`, kind: 'master_reseller', parentId: null, ...extra });
const sub = (pid: string, parentId: string, version: number) => partner(pid, version, { kind: 'sub_reseller', parentId });
const user = (uid: string, partnerId: string, version: number, extra: Record<string, unknown> = {}) => ({ op: 'upsert', type: 'user', id: uid, version, partnerId, email: `${uid}@example.test`, role: 'admin', active: true, ...extra });
const plan = (planId: string, owner: string, version: number, assignedTo: string[] = []) => ({ op: 'upsert', type: 'plan', id: planId, version, ownerPartnerId: owner, name: `Plan ${planId.slice(0, 6)}`, assignedTo });
const org = (oid: string, partnerId: string, planId: string, version: number, extra: Record<string, unknown> = {}) => ({
  op: 'upsert',
  type: 'organization',
  id: oid,
  version,
  partnerId,
  planId,
  name: `Org ${oid.slice(0, 6)}`,
  seatCount: 5,
  status: 'active',
  ...extra,
});
const del = (type: string, rid: string, version: number) => ({ op: 'delete', type, id: rid, version });

async function feed(...records: unknown[]): Promise<RecordResult[]> {
  return (await decideAndWrite(db, records)).results;
}
const outcomes = (rs: RecordResult[]) => rs.map((r) => (r.outcome === 'refused' ? `refused:${r.code}` : r.outcome));

async function tenant() {
  const master = id();
  const planId = id();
  await feed(partner(master, 1), plan(planId, master, 1));
  return { master, planId };
}

async function mapOn(partnerId: string, organizationId: string, psa: PsaKind, mappedPlanId: string | null) {
  const connectionId = id();
  await db.insertInto('connections').values({ id: connectionId, partnerId, psa, status: 'connected', site: '{}', connectedAt: new Date() }).execute();
  if (mappedPlanId) await db.insertInto('planMappings').values({ planId: mappedPlanId, connectionId, psa, values: '{}' }).execute();
  // Mapped under the organization's plan of the moment, as the lifecycle records it.
  const { planId } = await db.selectFrom('organizations').select('planId').where('id', '=', organizationId).executeTakeFirstOrThrow();
  await db.insertInto('organizationMappings').values({ organizationId, connectionId, psa, values: '{}', planId }).execute();
  return connectionId;
}

describe('versions', () => {
  test('a first load lands whatever the order of the records (a sub-reseller before its parent, organizations before their plan)', async () => {
    const [master, child, planId, orgId, userId] = [id(), id(), id(), id(), id()];
    const rs = await feed(org(orgId, child, planId, 1), user(userId, child, 1), sub(child, master, 1), plan(planId, master, 1, [child]), partner(master, 1));
    expect(outcomes(rs)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    const row = await db.selectFrom('organizations').select(['partnerId', 'planId', 'status', 'version']).where('id', '=', orgId).executeTakeFirstOrThrow();
    expect(row).toEqual({ partnerId: child, planId, status: 'active', version: '1' });
    expect(await db.selectFrom('planAssignments').select('partnerId').where('planId', '=', planId).execute()).toEqual([{ partnerId: child }]);
  });

  test('a repeat is unchanged, an older version is stale and leaves the newer one, in any arrival order', async () => {
    const { master } = await tenant();
    expect(outcomes(await feed(partner(master, 1)))).toEqual(['unchanged']);
    expect(outcomes(await feed(partner(master, 3, { name: 'Three' })))).toEqual(['applied']);
    const late = await feed(partner(master, 2, { name: 'Two' }));
    expect(outcomes(late)).toEqual(['stale']);
    expect(late[0]?.message).toMatch(/older than the stored version 3/);
    // Within one batch too: the newer wins whichever comes first.
    expect(outcomes(await feed(partner(master, 5, { name: 'Five' }), partner(master, 4, { name: 'Four' })))).toEqual(['applied', 'stale']);
    const { name, version } = await db.selectFrom('partners').select(['name', 'version']).where('id', '=', master).executeTakeFirstOrThrow();
    expect({ name, version }).toEqual({ name: 'Five', version: '5' });
  });

  test('plans and organizations: an older version arriving late never overwrites the newer one (name, assignees, seats, status)', async () => {
    const { master, planId } = await tenant();
    const child = id();
    await feed(sub(child, master, 1));
    expect(outcomes(await feed({ ...plan(planId, master, 4, [child]), name: 'Four' }))).toEqual(['applied']);
    expect(outcomes(await feed({ ...plan(planId, master, 3, []), name: 'Three' }))).toEqual(['stale']);
    expect((await db.selectFrom('plans').select(['name', 'version']).where('id', '=', planId).executeTakeFirstOrThrow())).toEqual({ name: 'Four', version: '4' });
    expect(await db.selectFrom('planAssignments').select('partnerId').where('planId', '=', planId).execute()).toEqual([{ partnerId: child }]);

    const orgId = id();
    // The newer organization first, the older one in the same batch and again later: the newer stays.
    expect(outcomes(await feed(org(orgId, master, planId, 7, { seatCount: 70, status: 'suspended' }), org(orgId, master, planId, 6, { seatCount: 60 })))).toEqual(['applied', 'stale']);
    expect(outcomes(await feed(org(orgId, master, planId, 5, { seatCount: 50, status: 'active', name: 'Older' })))).toEqual(['stale']);
    expect(await db.selectFrom('organizations').select(['seatCount', 'status', 'version']).where('id', '=', orgId).executeTakeFirstOrThrow()).toEqual({ seatCount: 70, status: 'suspended', version: '7' });
    // A newer one lands; the repeat of it is unchanged.
    expect(outcomes(await feed(org(orgId, master, planId, 8, { seatCount: 80 })))).toEqual(['applied']);
    expect(outcomes(await feed(org(orgId, master, planId, 8, { seatCount: 80 })))).toEqual(['unchanged']);
    expect((await db.selectFrom('organizations').select(['seatCount', 'status']).where('id', '=', orgId).executeTakeFirstOrThrow())).toEqual({ seatCount: 80, status: 'active' });
  });

  test('a delete is a tombstone: a late upsert older than it does not resurrect; a newer one creates the record again', async () => {
    const { master, planId } = await tenant();
    const orgId = id();
    await feed(org(orgId, master, planId, 1));
    expect(outcomes(await feed(del('organization', orgId, 10)))).toEqual(['applied']);
    expect(outcomes(await feed(org(orgId, master, planId, 9, { name: 'Late' })))).toEqual(['stale']);
    expect(outcomes(await feed(del('organization', orgId, 10)))).toEqual(['unchanged']);
    expect(outcomes(await feed(del('organization', orgId, 8)))).toEqual(['stale']);
    expect((await db.selectFrom('organizations').select(['status', 'name']).where('id', '=', orgId).executeTakeFirstOrThrow()).status).toBe('deleted');

    // A delete of a record never seen, arriving before its upserts.
    const ghost = id();
    expect(outcomes(await feed(del('partner', ghost, 5)))).toEqual(['applied']);
    expect(outcomes(await feed(partner(ghost, 4)))).toEqual(['stale']);
    expect(await partnerExists(db, ghost)).toBe(false);
    expect(outcomes(await feed(partner(ghost, 6)))).toEqual(['applied']);
    expect(await partnerExists(db, ghost)).toBe(true);
    expect(await db.selectFrom('directoryTombstones').select('id').where('id', '=', ghost).execute()).toEqual([]);
  });

  test('a deleted user is gone (its email free for another), and stays gone for older upserts', async () => {
    const { master } = await tenant();
    const [a, b] = [id(), id()];
    const email = `shared-${a}@example.test`;
    await feed(user(a, master, 1, { email }));
    expect(outcomes(await feed(user(b, master, 1, { email })))).toEqual(['refused:email_taken']);
    expect(outcomes(await feed(del('user', a, 2), user(b, master, 1, { email })))).toEqual(['applied', 'applied']);
    expect(await findUser(db, a)).toBeUndefined();
    expect(outcomes(await feed(user(a, master, 1, { email: `other-${a}@example.test` })))).toEqual(['stale']);
    // An address passed on within one batch: the unique index never sees it twice.
    const c = id();
    const emailC = `c-${c}@example.test`;
    await feed(user(c, master, 1, { email: emailC }));
    expect(outcomes(await feed(user(b, master, 2, { email: emailC }), user(c, master, 2, { email: `new-${c}@example.test` }), user(b, master, 3, { email: emailC })))).toEqual([
      'refused:email_taken',
      'applied',
      'applied',
    ]);
    expect((await db.selectFrom('users').select('email').where('id', '=', b).executeTakeFirstOrThrow()).email).toBe(emailC);
  });
});

describe('the partner tree', () => {
  test('cycles are refused: a partner under itself, under its own sub-reseller, or two new partners under each other', async () => {
    const { master } = await tenant();
    const [b, c] = [id(), id()];
    await feed(sub(b, master, 1), sub(c, b, 1));
    expect(outcomes(await feed(sub(b, c, 2)))).toEqual(['refused:partner_cycle']);
    expect(outcomes(await feed(sub(b, b, 3)))).toEqual(['refused:partner_cycle']);
    expect((await db.selectFrom('partners').select('parentId').where('id', '=', b).executeTakeFirstOrThrow()).parentId).toBe(master);
    const [x, y] = [id(), id()];
    expect(outcomes(await feed(sub(x, y, 1), sub(y, x, 1)))).toEqual(['refused:partner_cycle', 'refused:partner_cycle']);
    // Three new partners in a ring, and one hanging under the ring (its parent never lands).
    const [p, q, r, s] = [id(), id(), id(), id()];
    expect(outcomes(await feed(sub(p, q, 1), sub(q, r, 1), sub(r, p, 1), sub(s, p, 1)))).toEqual(['refused:partner_cycle', 'refused:partner_cycle', 'refused:partner_cycle', 'refused:parent_not_found']);
  });

  test('parents by kind: a sub-reseller needs one that exists; master and direct resellers have none', async () => {
    const { master } = await tenant();
    expect(outcomes(await feed(partner(id(), 1, { kind: 'sub_reseller' })))).toEqual(['refused:parent_required']);
    expect(outcomes(await feed(partner(id(), 1, { kind: 'direct_reseller', parentId: master })))).toEqual(['refused:parent_not_allowed']);
    expect(outcomes(await feed(sub(id(), id(), 1)))).toEqual(['refused:parent_not_found']);
  });

  test('a partner with sub-resellers is not deleted, unless the same batch deletes them', async () => {
    const { master } = await tenant();
    const child = id();
    await feed(sub(child, master, 1));
    expect(outcomes(await feed(del('partner', master, 2)))).toEqual(['refused:partner_has_children']);
    expect(outcomes(await feed(del('partner', master, 2), del('partner', child, 2)))).toEqual(['applied', 'applied']);
    expect(await partnerExists(db, master)).toBe(false);
  });
});

describe('per-record refusals in a batch', () => {
  test('the good records land, each bad one is refused with its code', async () => {
    const { master, planId } = await tenant();
    const [other, otherPlan, child, orgGood] = [id(), id(), id(), id()];
    const rs = await feed(
      partner(other, 1),
      plan(otherPlan, other, 1),
      sub(child, master, 1),
      org(orgGood, master, planId, 1),
      org(id(), master, id(), 1), // unknown plan
      org(id(), master, otherPlan, 1), // another partner's plan
      org(id(), id(), planId, 1), // unknown partner
      user(id(), id(), 1), // unknown partner
      plan(id(), master, 1, [other]), // not a sub-reseller of the owner
      plan(id(), master, 1, [child]), // fine
      del('plan', planId, 5), // organizations on it
    );
    expect(outcomes(rs)).toEqual([
      'applied',
      'applied',
      'applied',
      'applied',
      'refused:plan_not_found',
      'refused:plan_not_available',
      'refused:partner_not_found',
      'refused:partner_not_found',
      'refused:plan_assignee_invalid',
      'applied',
      'refused:plan_in_use',
    ]);
    expect(await db.selectFrom('organizations').select('id').where('id', '=', orgGood).executeTakeFirst()).toBeDefined();
  });

  test('a plan is not taken from a partner whose organizations are on it (owner changed or assignment removed)', async () => {
    const { master } = await tenant();
    const [child, shared, orgId] = [id(), id(), id()];
    await feed(sub(child, master, 1), plan(shared, master, 1, [child]), org(orgId, child, shared, 1));
    expect(outcomes(await feed(plan(shared, master, 2, [])))).toEqual(['refused:plan_in_use']);
    expect(outcomes(await feed(org(orgId, child, shared, 2, { status: 'deleted' })))).toEqual(['applied']);
    expect(outcomes(await feed(plan(shared, master, 2, [])))).toEqual(['applied']);
  });

  test('an organization mapped to a PSA does not move to another partner', async () => {
    const { master, planId } = await tenant();
    const [other, otherPlan, orgId] = [id(), id(), id()];
    await feed(partner(other, 1), plan(otherPlan, other, 1), org(orgId, master, planId, 1));
    await mapOn(master, orgId, 'halopsa', null);
    expect(outcomes(await feed(org(orgId, other, otherPlan, 2)))).toEqual(['refused:organization_moved_while_mapped']);
    expect(outcomes(await feed(org(orgId, master, planId, 2, { name: 'Renamed' })))).toEqual(['applied']);
  });

  test('hostile strings and ids: NUL, lone surrogates, huge names, wrong types are refused per record; any UUID spelling is one identity', async () => {
    const { master, planId } = await tenant();
    const upper = id().toUpperCase();
    const rs = await feed(
      partner(id(), 1, { name: 'bad\u0000name' }),
      partner(id(), 1, { name: 'lone \uD800 surrogate' }),
      partner(id(), 1, { name: 'x'.repeat(100_000) }),
      partner(id(), -1),
      partner(id(), 1.5),
      partner(id(), '7' as unknown as number),
      partner(id(), Number.MAX_SAFE_INTEGER + 2),
      { ...partner(id(), 1), role: 'owner' },
      { ...partner(id(), 1), __proto__: { admin: true } },
      JSON.parse(`{"op":"upsert","type":"partner","id":"${id()}","version":1,"name":"p","kind":"master_reseller","parentId":null,"__proto__":{"x":1}}`),
      'not an object',
      null,
      { op: 'upsert', type: 'tenant', id: id(), version: 1 },
      partner('not-a-uuid', 1),
      org(id(), master, planId, 1, { seatCount: -1 }),
      org(id(), master, planId, 1, { status: 'archived' }),
      partner(upper, 1, { name: 'Upper-case id' }),
    );
    const last = rs.length - 1;
    expect(rs.slice(0, last).map((r) => `${r.outcome}:${r.code}`)).toEqual(Array(last).fill('refused:invalid_input'));
    expect(rs[last]?.outcome).toBe('applied');
    expect(rs[last]?.id).toBe(upper.toLowerCase());
    expect(outcomes(await feed(partner(upper.toLowerCase(), 1, { name: 'Upper-case id' })))).toEqual(['unchanged']);
    // A record that did not parse is echoed only with what is safe to echo.
    const nul = rs[0] as RecordResult;
    expect(nul.type).toBe('partner');
    expect(JSON.stringify(rs)).not.toMatch(/x{1000}/);
  });
});

describe('flags, access and suspension', () => {
  test('an organization moved to a plan its PSA has not mapped is flagged where the PSA needs plans mapped (and not elsewhere)', async () => {
    const { master, planId } = await tenant();
    const [planB, orgCw, orgHalo] = [id(), id(), id()];
    await feed(plan(planB, master, 1), org(orgCw, master, planId, 1), org(orgHalo, master, planId, 1));
    await mapOn(master, orgCw, 'connectwise', planId);
    await mapOn(master, orgHalo, 'halopsa', null);
    expect(outcomes(await feed(org(orgCw, master, planB, 2), org(orgHalo, master, planB, 2)))).toEqual(['applied', 'applied']);
    const flagOf = async (o: string) => (await db.selectFrom('organizationMappings').select('flag').where('organizationId', '=', o).executeTakeFirstOrThrow()).flag;
    expect(await flagOf(orgCw)).toBe('plan_not_mapped');
    expect(await flagOf(orgHalo)).toBeNull();
    const listing = await organizationMappingsView(db, master);
    expect(listing.find((o) => o.organizationId === orgCw)?.mapping?.flag).toBe('plan_not_mapped');
    // Back on the mapped plan: the flag goes.
    await feed(org(orgCw, master, planId, 3));
    expect(await flagOf(orgCw)).toBeNull();
  });

  test('moved between two plans both mapped on its PSA: flagged plan_changed (its billing object sells the old plan) until moved back or mapped again', async () => {
    const { master, planId } = await tenant();
    const [planB, planC, o] = [id(), id(), id()];
    await feed(plan(planB, master, 1), plan(planC, master, 1), org(o, master, planId, 1));
    const connectionId = await mapOn(master, o, 'autotask', planId);
    await db.insertInto('planMappings').values({ planId: planB, connectionId, psa: 'autotask', values: '{}' }).execute();
    const flagOf = async () => (await db.selectFrom('organizationMappings').select('flag').where('organizationId', '=', o).executeTakeFirstOrThrow()).flag;
    await feed(org(o, master, planB, 2));
    expect(await flagOf()).toBe('plan_changed');
    await feed(org(o, master, planId, 3)); // back under the plan it was mapped for
    expect(await flagOf()).toBeNull();
    await feed(org(o, master, planC, 4));
    expect(await flagOf()).toBe('plan_not_mapped');
    // Plan C gets mapped (the lifecycle clears the plan's flags): still not the plan of its billing object.
    await clearPlanFlags(db, planC, connectionId);
    expect(await flagOf()).toBe('plan_changed');
    // Mapped again under plan C: nothing left to flag.
    await saveOrganizationMapping(db, { organizationId: o, connectionId, psa: 'autotask', values: {}, planId: planC });
    expect(await flagOf()).toBeNull();
    expect((await db.selectFrom('organizationMappings').select('planId').where('organizationId', '=', o).executeTakeFirstOrThrow()).planId).toBe(planC);
  });

  test('a user deactivated, demoted or deleted, or whose partner is deleted, is seen so by the next authentication', async () => {
    const { master } = await tenant();
    const [u, v] = [id(), id()];
    await feed(user(u, master, 1, { role: 'owner' }), user(v, master, 1));
    expect(await findUser(db, u)).toEqual({ id: u, partnerId: master, role: 'owner' });
    await feed(user(u, master, 2, { role: 'read_only' }));
    expect((await findUser(db, u))?.role).toBe('read_only');
    await feed(user(u, master, 3, { active: false }));
    expect(await findUser(db, u)).toBeUndefined();
    expect(await findUser(db, v)).toBeDefined();
    await feed(del('partner', master, 2));
    expect(await findUser(db, v)).toBeUndefined();
  });

  test('a suspended organization takes no raised alert (a recovery still lands); a deleted one takes none', async () => {
    const { master, planId } = await tenant();
    const orgId = id();
    await feed(org(orgId, master, planId, 1, { status: 'suspended' }));
    const alert = (event: 'raised' | 'recovered') => ({ eventId: id(), organizationId: orgId, problem: 'backup_failed', event, occurredAt: new Date().toISOString(), detail: {} });
    const raised = await receiveAlert(db, alert('raised'));
    expect(raised).toMatchObject({ status: 'suspended', inserted: null });
    expect((await receiveAlert(db, alert('recovered')))?.inserted).not.toBeNull();
    await feed(org(orgId, master, planId, 2, { status: 'deleted' }));
    expect(await receiveAlert(db, alert('recovered'))).toMatchObject({ status: 'deleted', inserted: null });
  });
});

describe('speed', () => {
  test('a 5,000-record first load and its repeat, set-based', async () => {
    const partners = 50;
    const records: unknown[] = [];
    const masters = Array.from({ length: partners }, () => id());
    for (const m of masters) {
      const p = id();
      records.push(partner(m, 1), plan(p, m, 1));
      for (let u = 0; u < 18; u += 1) records.push(user(id(), m, 1));
      for (let o = 0; o < 80; o += 1) records.push(org(id(), m, p, 1));
    }
    expect(records).toHaveLength(5000);
    let t = Date.now();
    const first = await decideAndWrite(db, records);
    const firstSeconds = (Date.now() - t) / 1000;
    expect(first.results.every((r) => r.outcome === 'applied')).toBe(true);
    t = Date.now();
    const repeat = await decideAndWrite(db, records);
    const repeatSeconds = (Date.now() - t) / 1000;
    expect(repeat.results.every((r) => r.outcome === 'unchanged')).toBe(true);
    console.log(`directory feed: 5,000 records — first load ${firstSeconds.toFixed(2)} s, repeat ${repeatSeconds.toFixed(2)} s`);
    expect(firstSeconds).toBeLessThan(30);
  });
});
