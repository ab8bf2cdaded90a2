/**
 * The platform's directory feed: partners, users, plans and organizations, pushed one record at a
 * time or in batches of thousands. Every record carries the platform's version, so an older one
 * never overwrites a newer one whatever the arrival order, a repeat is a no-op, and a delete leaves
 * a tombstone a late upsert cannot get past. A batch answers per record (applied, unchanged,
 * stale, refused with a stable code): the good records land, the bad ones are refused.
 *
 * Consequences go through the integration lifecycle, never around it: an organization deleted on
 * the platform is unlinked from its PSA (the workflow's unlink, audited), a deleted partner's
 * integrations are revoked (the workflow's revoke). They are derived from the stored state, not
 * from the change, so sending the same record again finishes a consequence that failed.
 * An organization moved to a plan its PSA has not mapped keeps its mapping, flagged
 * `plan_not_mapped`; moved to another mapped plan, `plan_changed` (read-model notes: nothing in the
 * PSA or the mapping changes until the partner maps it again).
 */
import { z } from 'zod';
import type { WorkflowHandle } from '@temporalio/client';
import { describeError, InvalidInput, issuesOf, RuleViolation } from '../domain/errors';
import {
  batchRecordSchema,
  decide,
  decisionOrder,
  emptyWrites,
  partnerCycleInBatch,
  partnerCyclesInBatch,
  MAX_BATCH_RECORDS,
  type organizationFields,
  type partnerFields,
  type planFields,
  type userFields,
  type BatchRecord,
  type Decision,
  type Outcome,
} from '../domain/directory';
import type { DirectoryEntity } from '../db/schema';
import type { Db } from '../db/connect';
import type { PsaKind } from '../psa/core/types';
import { connectionsOfDeletedPartners, inDirectoryTransaction, loadDirectoryView, mappingsOfDeletedOrganizations, writeDirectory, type DirectoryRefs } from '../db/repositories/directory-feed';
import type { integrationWorkflow } from '../workflows/integration';
import { revokeUpdate, unlinkOrganizationUpdate } from '../workflows/integration-messages';
import { createIntegrationsClient, typedErrorOf, type IntegrationsClientDeps } from './integrations';
import { createSeatsClient } from './seats';

export { partnerFields, userFields, planFields, organizationFields, deleteFields } from '../domain/directory';

/** Who the lifecycle's audit entries name for changes the feed causes. */
export const DIRECTORY_ACTOR = 'directory-feed';

export const directoryBatchSchema = z
  .object({
    records: z
      .array(z.unknown())
      .min(1)
      .max(MAX_BATCH_RECORDS)
      .describe('Each record: `{ op: "upsert", type, id, version, …fields }` or `{ op: "delete", type, id, version }`; each is validated on its own'),
  })
  .strict();
export type DirectoryBatch = z.infer<typeof directoryBatchSchema>;

export interface Consequence {
  action: 'unlink_organization' | 'revoke_integration' | 'sync_seats';
  /** The PSA concerned; null for seat syncs (the workflow finds the mapping itself). */
  psa: PsaKind | null;
  outcome: 'done' | 'failed';
  code?: string;
  message?: string;
}

export interface RecordResult {
  index: number;
  type: string | null;
  id: string | null;
  op: string | null;
  outcome: Outcome;
  code?: string;
  message?: string;
  consequences?: Consequence[];
}

const consequenceSchema = z.object({
  action: z.enum(['unlink_organization', 'revoke_integration', 'sync_seats']),
  psa: z.string().nullable(),
  outcome: z.enum(['done', 'failed']),
  code: z.string().optional(),
  message: z.string().optional(),
});
export const recordResultSchema = z.object({
  index: z.number(),
  type: z.string().nullable(),
  id: z.string().nullable(),
  op: z.string().nullable(),
  outcome: z.enum(['applied', 'unchanged', 'stale', 'refused']),
  code: z.string().optional(),
  message: z.string().optional(),
  consequences: z.array(consequenceSchema).optional(),
});
export const batchResultSchema = z.object({
  counts: z.object({ applied: z.number(), unchanged: z.number(), stale: z.number(), refused: z.number() }),
  results: z.array(recordResultSchema),
});
export type BatchResult = z.infer<typeof batchResultSchema>;

/** The ids a set of records touches or refers to, for loading the view. */
function refsOf(records: readonly BatchRecord[]): DirectoryRefs {
  const refs: DirectoryRefs = { partnerIds: [], userIds: [], emails: [], planIds: [], organizationIds: [], deletedPartnerIds: [], deletedPlanIds: [], upsertedPlanIds: [] };
  for (const r of records) {
    if (r.op === 'delete') {
      ({ partner: refs.partnerIds, user: refs.userIds, plan: refs.planIds, organization: refs.organizationIds })[r.type].push(r.id);
      if (r.type === 'partner') refs.deletedPartnerIds.push(r.id);
      if (r.type === 'plan') refs.deletedPlanIds.push(r.id);
      continue;
    }
    switch (r.type) {
      case 'partner':
        refs.partnerIds.push(r.id, ...(r.parentId ? [r.parentId] : []));
        break;
      case 'user':
        refs.userIds.push(r.id);
        refs.emails.push(r.email);
        refs.partnerIds.push(r.partnerId);
        break;
      case 'plan':
        refs.planIds.push(r.id);
        refs.upsertedPlanIds.push(r.id);
        refs.partnerIds.push(r.ownerPartnerId, ...r.assignedTo);
        break;
      case 'organization':
        refs.organizationIds.push(r.id);
        refs.planIds.push(r.planId);
        refs.partnerIds.push(r.partnerId);
        break;
    }
  }
  return refs;
}

/** A record's type, id and op as sent, for the answer of a record that did not parse. */
function echo(raw: unknown): Pick<RecordResult, 'type' | 'id' | 'op'> {
  const o = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const short = (v: unknown) => (typeof v === 'string' && v.length <= 100 && !/[\u0000\uD800-\uDFFF]/.test(v) ? v : null);
  return { type: short(o.type), id: short(o.id), op: short(o.op) };
}

/**
 * Parses, decides and writes a batch in one transaction (no consequences yet): each record's
 * result by its index, and the records that parsed.
 */
export async function decideAndWrite(db: Db, rawRecords: readonly unknown[]): Promise<{ results: RecordResult[]; valid: { index: number; record: BatchRecord }[]; seatChanges: string[] }> {
  const results: RecordResult[] = [];
  const parsed: (BatchRecord | null)[] = rawRecords.map((raw, index) => {
    const r = batchRecordSchema.safeParse(raw);
    if (r.success) return r.data;
    const issues = issuesOf(r.error);
    results[index] = { index, ...echo(raw), outcome: 'refused', code: 'invalid_input', message: issues.map((i) => `${i.field}: ${i.message}`).join('; ').slice(0, 1000) };
    return null;
  });
  const valid = parsed.flatMap((record, index) => (record ? [{ index, record }] : []));
  const seatChanges: string[] = [];

  await inDirectoryTransaction(db, async (trx) => {
    const view = await loadDirectoryView(trx, refsOf(valid.map((v) => v.record)));
    const writes = emptyWrites();
    const cyclic = partnerCyclesInBatch(parsed);
    const decideAt = (index: number): Decision => {
      const d = decide(view, writes, parsed[index] as BatchRecord);
      return d.code === 'parent_not_found' && cyclic.has(index) ? partnerCycleInBatch((parsed[index] as BatchRecord).id) : d;
    };
    const record = (index: number, d: Decision) => {
      const r = parsed[index] as BatchRecord;
      results[index] = { index, type: r.type, id: r.id, op: r.op, outcome: d.outcome, ...(d.code ? { code: d.code } : {}), ...(d.message ? { message: d.message } : {}) };
    };
    let waiting: number[] = [];
    for (const index of decisionOrder(parsed)) {
      const d = decideAt(index);
      // A partner whose sub-resellers this batch deletes later is decided again after them.
      if (d.code === 'partner_has_children') waiting.push(index);
      record(index, d);
    }
    for (let progress = true; progress && waiting.length > 0; ) {
      const again = waiting;
      waiting = [];
      progress = false;
      for (const index of again) {
        const d = decideAt(index);
        if (d.code === 'partner_has_children') waiting.push(index);
        else progress = true;
        record(index, d);
      }
    }
    await writeDirectory(trx, writes);
    seatChanges.push(...writes.seatChanges);
  });
  return { results, valid, seatChanges };
}

export function createDirectoryClient(deps: IntegrationsClientDeps) {
  const { db } = deps;
  const integrations = createIntegrationsClient(deps);
  const seats = createSeatsClient(deps);

  async function lifecycle(partnerId: string, psa: PsaKind): Promise<WorkflowHandle<typeof integrationWorkflow>> {
    // Started from the read model when not running; a deleted partner's lifecycle is reached too.
    return integrations.workflow(partnerId, psa);
  }

  async function consequence(action: Consequence['action'], psa: PsaKind | null, run: () => Promise<unknown>): Promise<Consequence> {
    try {
      await run();
      return { action, psa, outcome: 'done' };
    } catch (err) {
      const { code, message } = describeError(typedErrorOf(err));
      return { action, psa, outcome: 'failed', code, message };
    }
  }

  /** Unlinks deleted organizations and revokes deleted partners' integrations, through their lifecycles. */
  async function runConsequences(records: readonly { index: number; record: BatchRecord }[], results: RecordResult[], seatChanges: readonly string[]): Promise<void> {
    const deletedOrg = (r: BatchRecord) => r.type === 'organization' && (r.op === 'delete' || r.status === 'deleted');
    const orgIds = records.filter((x) => deletedOrg(x.record)).map((x) => x.record.id);
    const partnerIds = records.filter((x) => x.record.type === 'partner' && x.record.op === 'delete').map((x) => x.record.id);
    const byId = new Map(records.map((x) => [`${x.record.type}:${x.record.id}`, x.index]));
    const attach = (key: string, c: Consequence) => {
      const result = results[byId.get(key) ?? -1];
      if (result) result.consequences = [...(result.consequences ?? []), c];
    };
    for (const m of await mappingsOfDeletedOrganizations(db, orgIds)) {
      const c = await consequence('unlink_organization', m.psa, async () =>
        (await lifecycle(m.partnerId, m.psa)).executeUpdate(unlinkOrganizationUpdate, { args: [{ actor: DIRECTORY_ACTOR, organizationId: m.organizationId }] }),
      );
      attach(`organization:${m.organizationId}`, c);
    }
    // A seat count the feed changed on a mapped organization reaches the PSA through its seat-sync workflow.
    const partnerOf = new Map(records.flatMap((x) => (x.record.op === 'upsert' && x.record.type === 'organization' ? [[x.record.id, x.record.partnerId] as const] : [])));
    for (const organizationId of seatChanges) {
      const partnerId = partnerOf.get(organizationId);
      if (partnerId) attach(`organization:${organizationId}`, await consequence('sync_seats', null, () => seats.seatsChanged(organizationId, partnerId)));
    }
    for (const c of await connectionsOfDeletedPartners(db, partnerIds)) {
      const done = await consequence('revoke_integration', c.psa, async () => (await lifecycle(c.partnerId, c.psa)).executeUpdate(revokeUpdate, { args: [{ actor: DIRECTORY_ACTOR }] }));
      attach(`partner:${c.partnerId}`, done);
    }
  }

  /** Decides, writes and follows up a batch. */
  async function apply(rawRecords: readonly unknown[]): Promise<BatchResult> {
    const { results, valid, seatChanges } = await decideAndWrite(db, rawRecords);
    await runConsequences(
      valid.filter(({ index }) => results[index]?.outcome === 'applied' || results[index]?.outcome === 'unchanged'),
      results,
      seatChanges,
    );
    const counts = { applied: 0, unchanged: 0, stale: 0, refused: 0 };
    for (const r of results) counts[r.outcome] += 1;
    return { counts, results };
  }

  /** One record: a refusal is thrown as its error (409 with the code, 400 for bad fields). */
  async function single(raw: Record<string, unknown>): Promise<RecordResult> {
    const r = batchRecordSchema.safeParse(raw);
    if (!r.success) throw new InvalidInput(issuesOf(r.error));
    const { results } = await apply([r.data]);
    const result = results[0] as RecordResult;
    if (result.outcome === 'refused' && result.code && result.code !== 'invalid_input') throw new RuleViolation(result.code as ConstructorParameters<typeof RuleViolation>[0], result.message ?? '');
    return result;
  }

  const upsert = (type: DirectoryEntity, id: string, fields: object) => single({ ...fields, op: 'upsert', type, id });

  return {
    /** Thousands of records in one call (the initial load); answers per record. */
    async batch(body: DirectoryBatch): Promise<BatchResult> {
      const { records } = directoryBatchSchema.parse(body);
      return apply(records);
    },
    upsertPartner: (id: string, fields: z.input<typeof partnerFields>) => upsert('partner', id, fields),
    upsertUser: (id: string, fields: z.input<typeof userFields>) => upsert('user', id, fields),
    upsertPlan: (id: string, fields: z.input<typeof planFields>) => upsert('plan', id, fields),
    upsertOrganization: (id: string, fields: z.input<typeof organizationFields>) => upsert('organization', id, fields),
    /** A tombstone at `version`: upserts older than it are stale from now on. */
    delete: (type: DirectoryEntity, id: string, version: number) => single({ op: 'delete', type, id, version }),
  };
}

export type DirectoryClient = ReturnType<typeof createDirectoryClient>;
