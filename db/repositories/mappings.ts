/**
 * Mappings of a connection: its ticket mapping (where tickets go, statuses), plan mappings
 * (plan → PSA catalog item or service) and organization mappings (organization → PSA company
 * and billing object). Writes are upserts and deletes, so a retried activity converges.
 */
import { sql } from 'kysely';
import type { Db } from '../connect';
import type { MappingValues, PsaKind } from '../../psa/core/types';

export async function ticketMappingOf(db: Db, connectionId: string): Promise<MappingValues | null> {
  const row = await db.selectFrom('ticketMappings').select('settings').where('connectionId', '=', connectionId).executeTakeFirst();
  return row?.settings ?? null;
}

/** Every plan the partner may map, with its mappings on every PSA ("you will see both integrations listed"). */
export async function planMappingsView(db: Db, partnerId: string) {
  const plans = await db
    .selectFrom('plans')
    .select(['id', 'name', 'partnerId'])
    .where((eb) =>
      eb.or([eb('partnerId', '=', partnerId), eb('id', 'in', eb.selectFrom('planAssignments').select('planId').where('planAssignments.partnerId', '=', partnerId))]),
    )
    .orderBy('name')
    .execute();
  const mappings = plans.length
    ? await db
        .selectFrom('planMappings')
        .innerJoin('connections', 'connections.id', 'planMappings.connectionId')
        .select(['planMappings.planId', 'planMappings.psa', 'planMappings.values', 'planMappings.status', 'planMappings.statusReason'])
        .where('connections.partnerId', '=', partnerId)
        .where('connections.status', '<>', 'revoked')
        .where(
          'planMappings.planId',
          'in',
          plans.map((p) => p.id),
        )
        .execute()
    : [];
  return plans.map((p) => ({
    planId: p.id,
    name: p.name,
    assigned: p.partnerId !== partnerId,
    mappings: mappings.filter((m) => m.planId === p.id).map((m) => ({ psa: m.psa, values: m.values, status: m.status, statusReason: m.statusReason })),
  }));
}

/** Every organization of the partner with its (single) mapping, wherever it is. */
export async function organizationMappingsView(db: Db, partnerId: string) {
  return (
    await db
      .selectFrom('organizations as o')
      .leftJoin('organizationMappings as m', 'm.organizationId', 'o.id')
      .select(['o.id', 'o.name', 'o.planId', 'o.status as organizationStatus', 'm.psa', 'm.values', 'm.status', 'm.statusReason', 'm.flag'])
      .where('o.partnerId', '=', partnerId)
      .where('o.status', '<>', 'deleted')
      .orderBy('o.name')
      .execute()
  ).map((r) => ({
    organizationId: r.id,
    name: r.name,
    planId: r.planId,
    status: r.organizationStatus,
    mapping: r.psa ? { psa: r.psa, values: r.values, status: r.status, statusReason: r.statusReason, flag: r.flag } : null,
  }));
}

export async function saveTicketMapping(db: Db, connectionId: string, values: MappingValues, updatedBy: string | null): Promise<void> {
  const settings = JSON.stringify(values);
  await db
    .insertInto('ticketMappings')
    .values({ connectionId, settings, updatedBy })
    .onConflict((oc) => oc.column('connectionId').doUpdateSet({ settings, updatedBy, updatedAt: sql<Date>`now()` }))
    .execute();
}

export async function deleteTicketMapping(db: Db, connectionId: string): Promise<void> {
  await db.deleteFrom('ticketMappings').where('connectionId', '=', connectionId).execute();
}

/** Maps (or re-maps) a plan on a connection; a broken mapping becomes Synced again. */
export async function savePlanMapping(db: Db, m: { planId: string; connectionId: string; psa: PsaKind; values: MappingValues }): Promise<void> {
  const json = JSON.stringify(m.values);
  await db
    .insertInto('planMappings')
    .values({ planId: m.planId, connectionId: m.connectionId, psa: m.psa, values: json })
    .onConflict((oc) => oc.columns(['planId', 'connectionId']).doUpdateSet({ values: json, status: 'synced', statusReason: null, updatedAt: sql<Date>`now()` }))
    .execute();
}

/**
 * The plan is now mapped on the connection: its organizations' `plan_not_mapped` flags there are
 * resolved — to nothing, or to `plan_changed` for a mapping made under another plan.
 */
export async function clearPlanFlags(db: Db, planId: string, connectionId: string): Promise<void> {
  await db
    .updateTable('organizationMappings')
    .set((eb) => ({
      flag: eb.case().when(eb.and([eb('planId', 'is not', null), eb('planId', '<>', planId)])).then('plan_changed').else(null).end(),
      updatedAt: new Date(),
    }))
    .where('connectionId', '=', connectionId)
    .where('flag', '=', 'plan_not_mapped')
    .where('organizationId', 'in', (eb) => eb.selectFrom('organizations').select('id').where('planId', '=', planId))
    .execute();
}

export async function isPlanMapped(db: Db, planId: string, connectionId: string): Promise<boolean> {
  return (await db.selectFrom('planMappings').select('id').where('planId', '=', planId).where('connectionId', '=', connectionId).executeTakeFirst()) !== undefined;
}

/** How many organizations on the plan are mapped on the connection (they rely on the plan's mapping). */
export async function mappedOrganizationsOnPlan(db: Db, planId: string, connectionId: string): Promise<number> {
  const { n } = await db
    .selectFrom('organizationMappings')
    .innerJoin('organizations', 'organizations.id', 'organizationMappings.organizationId')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('organizationMappings.connectionId', '=', connectionId)
    .where('organizations.planId', '=', planId)
    .executeTakeFirstOrThrow();
  return n;
}

export async function deletePlanMapping(db: Db, planId: string, connectionId: string): Promise<void> {
  await db.deleteFrom('planMappings').where('planId', '=', planId).where('connectionId', '=', connectionId).execute();
}

/** Where the organization is mapped, if anywhere (one PSA at a time). */
export async function organizationMappingOf(db: Db, organizationId: string) {
  return db.selectFrom('organizationMappings').select(['psa', 'connectionId']).where('organizationId', '=', organizationId).executeTakeFirst();
}

/**
 * Maps (or re-maps) an organization on a connection. The unique organization_id decides races
 * between two PSAs' workflows: the update applies only to a mapping on this connection, so
 * false means another connection holds the organization. `planId` is the organization's plan now,
 * whose billing object `values` holds; a new mapping clears any flag.
 */
export async function saveOrganizationMapping(db: Db, m: { organizationId: string; connectionId: string; psa: PsaKind; values: MappingValues; planId?: string | null }): Promise<boolean> {
  const json = JSON.stringify(m.values);
  const planId = m.planId ?? null;
  const written = await db
    .insertInto('organizationMappings')
    .values({ organizationId: m.organizationId, connectionId: m.connectionId, psa: m.psa, values: json, planId })
    .onConflict((oc) =>
      oc
        .column('organizationId')
        .doUpdateSet({ values: json, status: 'mapped', statusReason: null, brokenBy: null, flag: null, planId, updatedAt: sql<Date>`now()` })
        .where('organizationMappings.connectionId', '=', m.connectionId),
    )
    .returning('id')
    .executeTakeFirst();
  return written !== undefined;
}

export async function deleteOrganizationMapping(db: Db, organizationId: string, connectionId: string): Promise<void> {
  await db.deleteFrom('organizationMappings').where('organizationId', '=', organizationId).where('connectionId', '=', connectionId).execute();
}

/** The organization's billing object is gone from the PSA: broken until the partner maps it again. */
export async function markOrganizationMappingBroken(db: Db, organizationId: string, reason: string): Promise<void> {
  await db.updateTable('organizationMappings').set({ status: 'broken', statusReason: reason, brokenBy: null, updatedAt: new Date() }).where('organizationId', '=', organizationId).execute();
}

/** Every mapping of the connection (organizations, plans, tickets) in one transaction, with counts. */
export async function deleteAllMappings(db: Db, connectionId: string): Promise<{ plans: number; organizations: number }> {
  return db.transaction().execute(async (trx) => {
    const orgs = await trx.deleteFrom('organizationMappings').where('connectionId', '=', connectionId).executeTakeFirst();
    const plans = await trx.deleteFrom('planMappings').where('connectionId', '=', connectionId).executeTakeFirst();
    await deleteTicketMapping(trx, connectionId);
    return { plans: Number(plans.numDeletedRows), organizations: Number(orgs.numDeletedRows) };
  });
}
