/**
 * Ticket, plan and organization mapping activities. Each checks the rules against PostgreSQL
 * (the system of record), checks every chosen value against the PSA (`adapter.option` with its
 * parents), then writes the read model and an audit row. Writes are upserts and deletes, so a
 * retried activity converges on the same rows.
 */
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
import { findConnection } from '../db/repositories/integrations';
import { mappablePlan, partnerOrganization } from '../db/repositories/directory';
import {
  deleteOrganizationMapping,
  deletePlanMapping,
  deleteTicketMapping,
  isPlanMapped,
  mappedOrganizationsOnPlan,
  organizationMappingOf,
  saveOrganizationMapping,
  savePlanMapping,
  clearPlanFlags,
  saveTicketMapping,
} from '../db/repositories/mappings';
import { writeAudit } from '../db/repositories/audit';
import { openTicketProblemsOf } from '../db/repositories/tickets';
import { WorkflowNotFoundError } from '@temporalio/client';
import { organizationUnlinkedSignal, serviceTicketWorkflowId } from '../workflows/ticket-messages';
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
          await saveTicketMapping(db, connectionId, values, actorUserId(actor));
          await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.ticket_mapping.set', outcome: 'ok', detail: { values } });
        }),
      );
    },

    /** "Revoke All Ticket Mapping" resets only the form; the connection is untouched. */
    async resetTicketMapping({ connectionId, actor }: OnConnection<ChangeRequest>): Promise<void> {
      return typed(async () => {
        const conn = await findConnection(db, connectionId);
        if (!conn) throw new NotFound('PSA connection');
        await deleteTicketMapping(db, connectionId);
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
        await savePlanMapping(db, { planId, connectionId, psa: conn.psa, values });
        await clearPlanFlags(db, planId, connectionId);
        await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.plan.map', target: planId, outcome: 'ok', detail: { values } });
      });
    },

    async unlinkPlan({ connectionId, actor, planId }: OnConnection<PlanUnlinkRequest>): Promise<void> {
      return typed(async () => {
        const conn = await findConnection(db, connectionId);
        if (!conn) throw new NotFound('PSA connection');
        const plan = await mappablePlan(db, conn.partnerId, planId);
        if (!plan) throw new NotFound('Plan');
        assertPlanUnlinkable(conn.psa, plan.name, await mappedOrganizationsOnPlan(db, planId, connectionId));
        await deletePlanMapping(db, planId, connectionId);
        await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.plan.unlink', target: planId, outcome: 'ok' });
      });
    },

    async mapOrganization({ connectionId, actor, organizationId, values }: OnConnection<OrganizationMappingRequest>): Promise<void> {
      return typed(async () => {
        const conn = await liveConnection(connectionId);
        const org = await partnerOrganization(db, conn.partnerId, organizationId);
        // An organization the platform deleted is not mapped again (its unlink still finds it).
        if (!org || org.status === 'deleted') throw new NotFound('Organization');
        const existing = await organizationMappingOf(db, organizationId);
        assertOrganizationFree(org.name, existing?.psa ?? null, conn.psa, existing?.connectionId === connectionId);
        assertPlanMappedFirst(conn.psa, org.name, org.planName, await isPlanMapped(db, org.planId, connectionId));
        await withAdapter(ctx, connectionId, actor, (adapter) => checkAgainstPsa(adapter, conn.psa, 'organization', values));
        if (!(await saveOrganizationMapping(db, { organizationId, connectionId, psa: conn.psa, values, planId: org.planId }))) {
          // Another PSA's workflow mapped it meanwhile: refused as if it had been first.
          const winner = await organizationMappingOf(db, organizationId);
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
        await deleteOrganizationMapping(db, organizationId, connectionId);
        // Its ticket runs with an open ticket stop writing (the ticket activities refuse too, should a
        // call be under way); a retry of this step signals again, which a stopped run ignores.
        for (const problem of await openTicketProblemsOf(db, organizationId, connectionId)) {
          try {
            await ctx.temporal.workflow.getHandle(serviceTicketWorkflowId(organizationId, problem)).signal(organizationUnlinkedSignal);
          } catch (err) {
            if (!(err instanceof WorkflowNotFoundError)) throw err; // the run ended meanwhile
          }
        }
        await writeAudit(db, { partnerId: conn.partnerId, connectionId, actor, action: 'integration.organization.unlink', target: organizationId, outcome: 'ok' });
      });
    },
  };
}
