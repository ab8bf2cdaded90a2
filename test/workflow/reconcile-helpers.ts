/**
 * What the reconcile tests share: organizations mapped to their own billing objects in a
 * simulator, the connection's schedules, and waiting for a run's drift report.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PsaKind } from '../../psa/core/types';
import { createReconcileClient } from '../../client/reconcile';
import type { ScheduleTiming } from '../../infra/connection-schedules';
import { connectIntegration } from '../helpers/integration-fixture';
import { addOrganizations } from '../helpers/integration-fixture';
import { billingControls, type BillingControls } from '../helpers/billing-fixture';
import { seedTenants } from '../helpers/seed';
import type { Stack } from '../helpers/stack';
import { waitFor } from './tickets-helpers';

export const QUIET: ScheduleTiming = { healthEverySeconds: 3600, reconcileEverySeconds: 3600 };

export interface ReconcileSetup {
  partnerId: string;
  userId: string;
  connectionId: string;
  organizationIds: string[];
  values: Record<string, string>[];
  billing: BillingControls;
  client: ReturnType<typeof createReconcileClient>;
}

/** One organization per entry: `seats` on the platform, `psa` billed in the PSA. */
export async function mappedOrganizations(stack: Stack, psa: PsaKind, rows: { seats: number; psa: number }[], timing: ScheduleTiming = QUIET): Promise<ReconcileSetup> {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  const partnerId = tenants.direct.id;
  const organizationIds = await addOrganizations(stack.db, partnerId, tenants.direct.planId, rows.length, 'Reconcile');
  const fx = await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId, psa, organizationIds });
  const billing = billingControls(psa, stack.sims);
  const values = billing.create(rows.map((r) => r.psa));
  for (const [i, organizationId] of organizationIds.entries()) {
    await stack.db.updateTable('organizations').set({ seatCount: rows[i]?.seats ?? 0 }).where('id', '=', organizationId).execute();
    await stack.db.updateTable('organizationMappings').set({ values: JSON.stringify(values[i]) }).where('organizationId', '=', organizationId).execute();
  }
  const client = createReconcileClient({ db: stack.db, temporal: stack.client, taskQueue: stack.taskQueue, timing });
  await client.ensureSchedules(partnerId, psa);
  return { partnerId, userId: tenants.direct.users.owner, connectionId: fx.connectionId, organizationIds, values, billing, client };
}

export const reportsOf = (stack: Stack, connectionId: string) =>
  stack.db.selectFrom('reconcileReports').selectAll().where('connectionId', '=', connectionId).orderBy('startedAt', 'asc').execute();

/** Waits until the connection has `count` finished reports; returns the last one. */
export async function finishedReport(stack: Stack, connectionId: string, count: number, timeoutMs = 60_000) {
  const reports = await waitFor(
    `${count} finished reconcile report(s)`,
    async () => {
      const rows = (await reportsOf(stack, connectionId)).filter((r) => r.status !== 'running');
      return rows.length >= count ? rows : null;
    },
    timeoutMs,
    100,
  );
  return reports[count - 1] as (typeof reports)[number];
}

/** A platform endpoint that records what psa-sync tells it. */
export async function platformSink(): Promise<{ url: string; bodies: Record<string, unknown>[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      try {
        bodies.push(JSON.parse(raw) as Record<string, unknown>);
      } catch {
        bodies.push({ raw });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/callback`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}
