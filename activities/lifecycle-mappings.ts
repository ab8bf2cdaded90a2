/**
 * Ticket, plan and organization mapping activities. Each checks the rules against PostgreSQL
 * (the system of record), checks every chosen value against the PSA (`adapter.option` with its
 * parents), then writes the read model and an audit row. Writes are upserts and deletes, so a
 * retried activity converges on the same rows.
 */
import { sql } from 'kysely';
import type { MappingKind, MappingValues, PsaAdapter, PsaKind } from '../psa/core/types';
import { NotFound } from '../domain/errors';
import {
  assertMappingShape,
  assertOrganizationFree,
  assertPlanMappedFirst,
  assertPlansMappedIn,
  assertPlanUnlinkable,
  optionNotInPsa,
  parentsOf,
  picklistFieldsInOrder,
} from '../domain/rules';
import { findConnection, mappablePlan, partnerOrganization, writeAudit } from '../db/repositories/integrations';
import type { ChangeRequest, OrganizationMappingRequest, OrganizationUnlinkRequest, PlanMappingRequest, PlanUnlinkRequest, TicketMappingRequest } from '../workflows/integration-messages';
import { actorUserId, typed, withAdapter, type LifecycleContext } from './lifecycle-support';

type OnConnection<T> = T & { connectionId: string };

/** Every field present, and every picklist value found in the PSA under its chosen parents. */
async function checkAgainstPsa(adapter: PsaAdapter, psa: PsaKind, kind: MappingKind, values: MappingValues): Promise<void> {
  const specs = adapter.fields[kind];
  assertMappingShape(specs, values);
  for (const spec of picklistFieldsInOrder(specs)) {
    const id = values[spec.name] as string;
    const found = await adapter.option(kind, spec.name, id, parentsOf(spec, values));
    if (!found) throw optionNotInPsa(psa, kind, spec, id);
  }
}

export function createMappingActivities(ctx: LifecycleContext) {
  const { db } = ctx;

  async function liveConnection(connectionId: string) {
    const row = await findConnection(db, connectionId);
    if (!row || row.status !== 'connected') throw new NotFound('PSA connection');
    return row;
  }

  return {
    async saveTicketMapping({ connectionId, actor, values }: OnConnection<TicketMappingRequest>): Promise<void> {
      return typed(() =>
        withAdapter(ctx, connectionId, actor, async (adapter, conn) => {
          await checkAgainstPsa(adapter, conn.psa, 'ticket', values);
          await db
            .insertInto('ticketMappings')
            .values({ connectionId, settings: JSON.stringify(values), updatedBy: actorUserId(actor) })
            .onConflict((oc) => oc.column('connectionId').doUpdateSet({ settings: JSON.stringify(values), updatedBy: actorUserId(actor), updatedAt: sql<Date>`now()` }))
            .execute();
          await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.ticket_mapping.set', outcome: 'ok', detail: { values } });
        }),
      );
    },

    /** "Revoke All Ticket Mapping" resets only the form; the connection is untouched. */
    async resetTicketMapping({ connectionId, actor }: OnConnection<ChangeRequest>): Promise<void> {
      return typed(async () => {
        const conn = await findConnection(db, connectionId);
        if (!conn) throw new NotFound('PSA connection');
        await db.deleteFrom('ticketMappings').where('connectionId', '=', connectionId).execute();
        await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.ticket_mapping.reset', outcome: 'ok' });
      });
    },

    async mapPlan({ connectionId, actor, planId, values }: OnConnection<PlanMappingRequest>): Promise<void> {
      return typed(async () => {
        const conn = await liveConnection(connectionId);
        assertPlansMappedIn(conn.psa);
        const plan = await mappablePlan(db, conn.partnerId, planId);
        if (!plan) throw new NotFound('Plan');
        await withAdapter(ctx, connectionId, actor, (adapter) => checkAgainstPsa(adapter, conn.psa, 'plan', values));
        const json = JSON.stringify(values);
        await db
          .insertInto('planMappings')
          .values({ planId, connectionId, psa: conn.psa, values: json })
          .onConflict((oc) => oc.columns(['planId', 'connectionId']).doUpdateSet({ values: json, status: 'synced', statusReason: null, updatedAt: sql<Date>`now()` }))
          .execute();
        await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.plan.map', target: planId, outcome: 'ok', detail: { values } });
      });
    },

    async unlinkPlan({ connectionId, actor, planId }: OnConnection<PlanUnlinkRequest>): Promise<void> {
      return typed(async () => {
        const conn = await findConnection(db, connectionId);
        if (!conn) throw new NotFound('PSA connection');
        const plan = await mappablePlan(db, conn.partnerId, planId);
        if (!plan) throw new NotFound('Plan');
        const { n } = await db
          .selectFrom('organizationMappings')
          .innerJoin('organizations', 'organizations.id', 'organizationMappings.organizationId')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('organizationMappings.connectionId', '=', connectionId)
          .where('organizations.planId', '=', planId)
          .executeTakeFirstOrThrow();
        assertPlanUnlinkable(conn.psa, plan.name, n);
        await db.deleteFrom('planMappings').where('planId', '=', planId).where('connectionId', '=', connectionId).execute();
        await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.plan.unlink', target: planId, outcome: 'ok' });
      });
    },

    async mapOrganization({ connectionId, actor, organizationId, values }: OnConnection<OrganizationMappingRequest>): Promise<void> {
      return typed(async () => {
        const conn = await liveConnection(connectionId);
        const org = await partnerOrganization(db, conn.partnerId, organizationId);
        if (!org) throw new NotFound('Organization');
        const existing = await db.selectFrom('organizationMappings').select(['psa', 'connectionId']).where('organizationId', '=', organizationId).executeTakeFirst();
        assertOrganizationFree(org.name, existing?.psa ?? null, conn.psa, existing?.connectionId === connectionId);
        const planMapped = await db.selectFrom('planMappings').select('id').where('planId', '=', org.planId).where('connectionId', '=', connectionId).executeTakeFirst();
        assertPlanMappedFirst(conn.psa, org.name, org.planName, planMapped !== undefined);
        await withAdapter(ctx, connectionId, actor, (adapter) => checkAgainstPsa(adapter, conn.psa, 'organization', values));
        const json = JSON.stringify(values);
        // The unique organization_id decides races between two PSAs' workflows: the update only
        // applies to a mapping on this connection, so a lost race reads back the winner.
        const written = await db
          .insertInto('organizationMappings')
          .values({ organizationId, connectionId, psa: conn.psa, values: json })
          .onConflict((oc) =>
            oc
              .column('organizationId')
              .doUpdateSet({ values: json, status: 'mapped', statusReason: null, updatedAt: sql<Date>`now()` })
              .where('organizationMappings.connectionId', '=', connectionId),
          )
          .returning('id')
          .executeTakeFirst();
        if (!written) {
          const winner = await db.selectFrom('organizationMappings').select('psa').where('organizationId', '=', organizationId).executeTakeFirst();
          assertOrganizationFree(org.name, winner?.psa ?? null, conn.psa, false);
        }
        await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.organization.map', target: organizationId, outcome: 'ok', detail: { values } });
      });
    },

    async unlinkOrganization({ connectionId, actor, organizationId }: OnConnection<OrganizationUnlinkRequest>): Promise<void> {
      return typed(async () => {
        const conn = await findConnection(db, connectionId);
        if (!conn) throw new NotFound('PSA connection');
        const org = await partnerOrganization(db, conn.partnerId, organizationId);
        if (!org) throw new NotFound('Organization');
        await db.deleteFrom('organizationMappings').where('organizationId', '=', organizationId).where('connectionId', '=', connectionId).execute();
        await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.organization.unlink', target: organizationId, outcome: 'ok' });
      });
    },
  };
}
