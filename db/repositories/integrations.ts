/**
 * The integration read model and the small writes the lifecycle activities make. The portal's
 * badges (Connected, ticket mapping done, plan Synced, organization mapped) come from here, so
 * it never asks Temporal.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Db } from '../connect';
import type { Connection, ConnectionStatus, Database, Health } from '../schema';
import { PSA_KINDS, type MappingValues, type PsaKind } from '../../psa/core/types';

type Executor = Kysely<Database> | Transaction<Database>;


export interface AuditEntry {
  partnerId: string | null;
  connectionId: string | null;
  actor: string;
  action: string;
  target?: string | null;
  outcome: 'ok' | 'error';
  detail?: Record<string, unknown>;
}

export async function writeAudit(db: Executor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('auditLog')
    .values({
      partnerId: entry.partnerId,
      connectionId: entry.connectionId,
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      outcome: entry.outcome,
      detail: JSON.stringify(entry.detail ?? {}),
    })
    .execute();
}

export async function findConnection(db: Executor, connectionId: string): Promise<Connection | undefined> {
  return db.selectFrom('connections').selectAll().where('id', '=', connectionId).executeTakeFirst();
}

/** The non-revoked connection of a partner × PSA (at most one: partial unique index). */
export async function liveConnection(db: Executor, partnerId: string, psa: PsaKind): Promise<Connection | undefined> {
  return db.selectFrom('connections').selectAll().where('partnerId', '=', partnerId).where('psa', '=', psa).where('status', '<>', 'revoked').executeTakeFirst();
}

/** The target partner followed by its ancestors; empty when it does not exist. */
export async function partnerChain(db: Executor, partnerId: string): Promise<string[]> {
  const chain: string[] = [];
  let current: string | null = partnerId;
  while (current && chain.length < 10 && !chain.includes(current)) {
    const row: { id: string; parentId: string | null } | undefined = await db.selectFrom('partners').select(['id', 'parentId']).where('id', '=', current).executeTakeFirst();
    if (!row) break;
    chain.push(row.id);
    current = row.parentId;
  }
  return chain;
}

/** A plan the partner may map: its own, or one its master reseller assigned to it. */
export async function mappablePlan(db: Executor, partnerId: string, planId: string) {
  return db
    .selectFrom('plans')
    .select(['id', 'name', 'partnerId'])
    .where('id', '=', planId)
    .where((eb) =>
      eb.or([
        eb('partnerId', '=', partnerId),
        eb.exists(eb.selectFrom('planAssignments').select('planId').where('planAssignments.planId', '=', planId).where('planAssignments.partnerId', '=', partnerId)),
      ]),
    )
    .executeTakeFirst();
}

export async function partnerOrganization(db: Executor, partnerId: string, organizationId: string) {
  return db
    .selectFrom('organizations')
    .innerJoin('plans', 'plans.id', 'organizations.planId')
    .select(['organizations.id', 'organizations.name', 'organizations.planId', 'plans.name as planName'])
    .where('organizations.id', '=', organizationId)
    .where('organizations.partnerId', '=', partnerId)
    .executeTakeFirst();
}

export interface IntegrationBadges {
  psa: PsaKind;
  connectionId: string | null;
  status: ConnectionStatus | 'not_connected';
  health: Health | null;
  healthReason: string | null;
  accountName: string | null;
  connected: boolean;
  ticketMappingDone: boolean;
  syncedPlans: number;
  mappedOrganizations: number;
  connectedAt: string | null;
}

/** One card per PSA, as the Integrations page shows them. */
export async function listIntegrations(db: Db, partnerId: string): Promise<IntegrationBadges[]> {
  const rows = await db
    .selectFrom('connections as c')
    .leftJoin('ticketMappings as t', 't.connectionId', 'c.id')
    .select([
      'c.id',
      'c.psa',
      'c.status',
      'c.health',
      'c.healthReason',
      'c.site',
      'c.connectedAt',
      't.connectionId as ticketMapped',
      (eb) => eb.selectFrom('planMappings').select(sql<number>`count(*)::int`.as('n')).whereRef('planMappings.connectionId', '=', 'c.id').where('planMappings.status', '=', 'synced').as('syncedPlans'),
      (eb) => eb.selectFrom('organizationMappings').select(sql<number>`count(*)::int`.as('n')).whereRef('organizationMappings.connectionId', '=', 'c.id').where('organizationMappings.status', '=', 'mapped').as('mappedOrganizations'),
    ])
    .where('c.partnerId', '=', partnerId)
    .where('c.status', '<>', 'revoked')
    .execute();
  return PSA_KINDS.map((psa) => {
    const r = rows.find((x) => x.psa === psa);
    if (!r) {
      return { psa, connectionId: null, status: 'not_connected', health: null, healthReason: null, accountName: null, connected: false, ticketMappingDone: false, syncedPlans: 0, mappedOrganizations: 0, connectedAt: null };
    }
    return {
      psa,
      connectionId: r.id,
      status: r.status,
      health: r.health,
      healthReason: r.healthReason,
      accountName: r.site.accountName ?? null,
      connected: r.status === 'connected',
      ticketMappingDone: r.ticketMapped !== null,
      syncedPlans: r.syncedPlans ?? 0,
      mappedOrganizations: r.mappedOrganizations ?? 0,
      connectedAt: r.connectedAt ? new Date(r.connectedAt).toISOString() : null,
    };
  });
}

export async function ticketMappingOf(db: Executor, connectionId: string): Promise<MappingValues | null> {
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
      .select(['o.id', 'o.name', 'o.planId', 'm.psa', 'm.values', 'm.status', 'm.statusReason'])
      .where('o.partnerId', '=', partnerId)
      .orderBy('o.name')
      .execute()
  ).map((r) => ({
    organizationId: r.id,
    name: r.name,
    planId: r.planId,
    mapping: r.psa ? { psa: r.psa, values: r.values, status: r.status, statusReason: r.statusReason } : null,
  }));
}
