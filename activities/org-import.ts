/**
 * The organization import's two steps per row. `importPrepareRow` checks the rules before any PSA
 * write (not mapped yet, not on another PSA, plan mapped first where the PSA needs it), creates the
 * company where asked — the adapter looks it up by name first, so a retry after a crash adopts the
 * one the lost attempt made — and finds its billing object: the one that fits, else (unless the
 * batch says `createBilling: false`) the one the adapter finds or makes for the plan, named after
 * it, so a retried or resumed step never makes a second. `importMapRow` maps the organization
 * through the integration lifecycle workflow's mapping Update, where every mapping rule is checked
 * again against PostgreSQL and the PSA. Refusals come back as row results with their stable code;
 * only transient failures (PSA down, throttled) are thrown, for Temporal to retry.
 */
import { Context } from '@temporalio/activity';
import type { MappingValues } from '../psa/core/types';
import { capabilitiesOf } from '../psa/capabilities';
import { DomainError, NotFound, RuleViolation, describeError } from '../domain/errors';
import { ERRORS } from '../domain/error-catalogue';
import { assertOrganizationFree, assertPlanMappedFirst } from '../domain/rules';
import { importCandidates, type ImportCandidate } from '../db/repositories/org-import';
import type { BillingSetup, EnsuredBilling, PsaCompanies } from '../psa/core/companies';
import { writeAudit } from '../db/repositories/audit';
import { createIntegrationsClient, type IntegrationsClient } from '../client/integrations';
import type { ImportBatchSettings, ImportRow, ImportRowResult } from '../workflows/org-import-messages';
import type { ActivityDeps } from './deps';
import { HEARTBEAT_EVERY_MS, lifecycleContext, withAdapter } from './lifecycle-support';

export type PreparedRow = { ok: true; values: MappingValues; created: boolean; companyId: string } | { ok: false; result: ImportRowResult };

/** The company field of an organization mapping (the first field of the form). */
const companyOf = (values: MappingValues | null, field: string | undefined): string | null => (values && field ? (values[field] ?? null) : null);

/**
 * A refusal the partner acts on, as a row result; null for failures worth retrying (the PSA is
 * down or throttling, or an error we do not know, which Temporal retries and logs).
 */
export function refusalOf(err: unknown): { code: string; message: string } | null {
  const answer = describeError(err);
  if (answer.code === 'internal' || ERRORS[answer.code].retryable) return null;
  const issues = answer.issues?.length ? `: ${answer.issues.map((i) => `${i.field} ${i.message}`).join('; ')}` : '';
  return { code: answer.code, message: `${answer.message}${issues}` };
}

async function heartbeating<T>(body: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const beat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await body();
  } finally {
    clearInterval(beat);
  }
}

type BillingOutcome = { ok: true; values: MappingValues } | { ok: false; refusal: RuleViolation };

/**
 * The billing object a created or adopted company is mapped with. A company made just now has
 * none but the one we make. Any other may have several: ours (made by an attempt before a crash)
 * first, then the one that fits; with none, ours is made unless the batch said `createBilling:
 * false`. A refusal by the PSA comes back as `import_billing_refused` with its reason; failures
 * worth retrying are thrown.
 */
async function billingFor(
  companies: PsaCompanies,
  req: ImportBatchSettings,
  org: ImportCandidate,
  company: { companyId: string; created: boolean; plan: MappingValues | null },
): Promise<BillingOutcome & { made?: EnsuredBilling }> {
  const { companyId, created, plan } = company;
  const unresolved = (detail: string): BillingOutcome => ({ ok: false, refusal: new RuleViolation('import_billing_unresolved', `${org.name}: company ${companyId} is in the PSA, but ${detail}.`) });
  const setup: BillingSetup = {
    companyId,
    plan,
    planName: org.planName,
    seats: org.seatCount,
    ...(req.agreementType ? { agreementType: req.agreementType } : {}),
    ...(req.contractCategory ? { contractCategory: req.contractCategory } : {}),
  };
  const wanted = req.createBilling === true;
  if (!created) {
    const ours = wanted ? await companies.findOwnBilling(setup) : null;
    if (ours) return { ok: true, values: ours };
    const [proposal] = await companies.proposeBilling([{ companyId, plan }]);
    if (proposal?.values) return { ok: true, values: proposal.values };
    if (proposal && proposal.fits > 1) return unresolved(`${proposal.fits} billing objects fit; choose one and map ${org.name}`);
  }
  if (!wanted) return unresolved(`it has no billing object for the plan "${org.planName}" yet (making one was not asked)`);
  try {
    const made = await companies.ensureBilling(setup);
    return { ok: true, values: made.values, made };
  } catch (err) {
    const why = refusalOf(err);
    if (!why) throw err;
    return { ok: false, refusal: new RuleViolation('import_billing_refused', `${org.name}: company ${companyId} is in the PSA, but the PSA refused its billing object for the plan "${org.planName}": ${why.message}`) };
  }
}

export function createOrgImportActivities(deps: ActivityDeps) {
  const ctx = lifecycleContext(deps);
  const { db } = deps;
  let integrations: IntegrationsClient | null = null;
  const lifecycle = (taskQueue: string) => (integrations ??= createIntegrationsClient({ db, temporal: deps.temporal, taskQueue, keys: deps.keys, psa: deps.psa }));

  const audit = (req: ImportBatchSettings, organizationId: string, action: string, detail: Record<string, unknown>) =>
    writeAudit(db, { partnerId: req.partnerId, connectionId: req.connectionId, actor: req.actor, action, target: organizationId, outcome: 'ok', detail: { batchId: req.batchId, ...detail } });

  const refused = (organizationId: string, err: unknown, extra: Partial<ImportRowResult> = {}): ImportRowResult => {
    const r = refusalOf(err);
    if (!r) throw err;
    return { organizationId, outcome: 'refused', created: false, companyId: null, values: null, ...extra, code: r.code, message: r.message };
  };

  return {
    async importPrepareRow(req: ImportBatchSettings & { row: ImportRow }): Promise<PreparedRow> {
      const { partnerId, psa, connectionId, row, actor } = req;
      return heartbeating(async () => {
        try {
          const [org] = await importCandidates(db, partnerId, connectionId, [row.organizationId]);
          if (!org) throw new NotFound('Organization');
          if (org.mappedConnectionId === connectionId) {
            throw new RuleViolation('import_already_mapped', `${org.name} is already mapped on this PSA; the import leaves it and its PSA company as they are.`);
          }
          assertOrganizationFree(org.name, org.mappedPsa, psa, false);
          assertPlanMappedFirst(psa, org.name, org.planName, org.planMapping !== null);
          return await withAdapter(ctx, connectionId, actor, async (adapter) => {
            const companyField = adapter.fields.organization[0]?.name;
            if (row.action === 'map') return { ok: true as const, values: row.values, created: false, companyId: companyOf(row.values, companyField) ?? '' };
            const companies = adapter.companies?.();
            if (!companies) throw new RuleViolation('import_not_supported', 'This PSA connection cannot create companies for an import.');
            let companyId = row.action === 'adopt' ? row.companyId : '';
            let created = false;
            if (row.action === 'create') {
              const made = await companies.create({
                name: org.name,
                ...(req.createUnder ? { parentId: req.createUnder } : {}),
                ...(req.phone ? { phone: req.phone } : {}),
              });
              await audit(req, row.organizationId, 'integration.organization_import.company', { companyId: made.company.id, created: made.created });
              companyId = made.company.id;
              created = made.created;
            }
            const plan = capabilitiesOf(psa).planMapping ? org.planMapping : null;
            const billing = await billingFor(companies, req, org, { companyId, created, plan });
            if (billing.made) await audit(req, row.organizationId, 'integration.organization_import.billing', { companyId, values: billing.made.values, created: billing.made.created });
            if (billing.ok) return { ok: true as const, values: billing.values, created, companyId };
            return { ok: false as const, result: refused(row.organizationId, billing.refusal, { created, companyId }) };
          });
        } catch (err) {
          return { ok: false as const, result: refused(row.organizationId, err) };
        }
      });
    },

    async importMapRow(req: ImportBatchSettings & { organizationId: string; values: MappingValues; created: boolean; companyId: string }): Promise<ImportRowResult> {
      const { partnerId, psa, organizationId, values, actor } = req;
      const base = { organizationId, created: req.created, companyId: req.companyId };
      return heartbeating(async () => {
        try {
          // Through the lifecycle workflow: serialized with the integration's other changes, every rule checked.
          await lifecycle(Context.current().info.taskQueue).mapOrganization(partnerId, psa, organizationId, values, actor);
          return { ...base, outcome: 'mapped', values, code: null, message: null };
        } catch (err) {
          if (!(err instanceof DomainError) && refusalOf(err) === null) throw err;
          return refused(organizationId, err, base);
        }
      });
    },
  };
}

export type OrgImportActivities = ReturnType<typeof createOrgImportActivities>;
