/**
 * Organization import with name matching, per connection (the seed: "if no mapping is created …
 * match to an existing record using the name … once an import has been completed, a mapping will
 * be added"). `preview` is a read: every unmapped organization of the partner with its best PSA
 * company (domain/name-match.ts), the score, near-duplicates as alternatives, and the billing
 * object where exactly one fits; companies are listed in pages of the PSA's largest size and
 * billing objects are looked up in bulk. `confirm` starts one durable batch workflow that maps the
 * accepted rows through the integration lifecycle workflow (workflows/org-import.ts), creating
 * companies where asked and, unless `createBilling: false`, the plan's billing object of created
 * or adopted companies that have none; `progress`
 * reads it while it runs and after. Mapped organizations are never offered again, and the import
 * never renames a PSA company.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { WorkflowNotFoundError, type WorkflowExecutionStatusName } from '@temporalio/client';
import { InvalidInput, NotFound, RuleViolation, parseOrThrow as parse, type FieldIssue } from '../domain/errors';
import { safeText } from '../domain/input';
import { notConnected } from '../domain/rules';
import { CompanyNameIndex, type MatchOutcome } from '../domain/name-match';
import { capabilitiesOf } from '../psa/capabilities';
import type { CompanyParent, PsaCompanies, PsaCompany } from '../psa/core/companies';
import { PSA_LABELS, type MappingValues, type PsaAdapter, type PsaKind } from '../psa/core/types';
import type { MissingRight } from '../psa/core/configurations';
import { partnerExists } from '../db/repositories/directory';
import { liveConnection } from '../db/repositories/integrations';
import { importCandidates } from '../db/repositories/org-import';
import { createAdapterProvider } from '../infra/psa-adapters';
import { organizationImportWorkflow } from '../workflows/org-import';
import { importProgressQuery, organizationImportWorkflowId, progressOf, type ImportProgress, type ImportRow } from '../workflows/org-import-messages';
import { PartnerIdKey, VendorKey } from '../workflows/search-attributes';
import { actorSchema, idSchema, mappingValuesSchema, psaSchema, typedErrorOf, type IntegrationsClientDeps } from './integrations';

export type { ImportProgress, ImportRow, ImportRowResult } from '../workflows/org-import-messages';

export interface CompanyChoice {
  companyId: string;
  companyName: string;
  score: number;
}

export interface PreviewRow {
  organizationId: string;
  organizationName: string;
  planId: string;
  planName: string;
  /** The plan is mapped on this connection, or the PSA does not need it. */
  planReady: boolean;
  outcome: MatchOutcome;
  /** The proposed company (only for `matched`). */
  match: CompanyChoice | null;
  alternatives: CompanyChoice[];
  /** The billing object for the proposed company: the whole mapping when exactly one fits. */
  billing: { values: MappingValues | null; fits: number } | null;
  /** Accepting the row as proposed would map it (`values` is the mapping it would send). */
  values: MappingValues | null;
}

export interface ImportPreview {
  connectionId: string;
  psa: PsaKind;
  /** Active PSA companies compared against. */
  companiesScanned: number;
  /** Organizations of the partner already mapped (on any PSA); they are left as they are. */
  alreadyMapped: number;
  /** Where new companies may go (HaloPSA top levels); empty when the PSA needs no parent. */
  createParents: CompanyParent[];
  /** A new company needs a phone number (Autotask). */
  createNeedsPhone: boolean;
  organizations: PreviewRow[];
}

const rowSchema = z.discriminatedUnion('action', [
  z.object({ organizationId: idSchema, action: z.literal('map'), values: mappingValuesSchema }).strict(),
  z.object({ organizationId: idSchema, action: z.literal('create') }).strict(),
  z.object({ organizationId: idSchema, action: z.literal('adopt'), companyId: safeText().regex(/^\d{1,12}$/, 'must be a PSA company id') }).strict(),
]);

/** Rows per batch: the rows and their results travel in the workflow input across continue-as-new (Temporal caps a payload at 2 MB). */
export const MAX_IMPORT_ROWS = 2500;

export const importConfirmSchema = z
  .object({
    rows: z.array(rowSchema).min(1).max(MAX_IMPORT_ROWS),
    /** The top level new companies go under, where the PSA needs one (HaloPSA). */
    createUnder: safeText().regex(/^\d{1,12}$/, 'must be a top-level id').optional(),
    /** Phone number of new companies, where the PSA needs one (Autotask). */
    phone: safeText().min(1).max(25).optional(),
    /**
     * Make the plan's billing object (agreement + addition, contract + contract service, software
     * licence) for created and adopted companies that have none. Default true. When the API user
     * lacks a right these are written with, the confirm is refused (`import_billing_rights_missing`).
     */
    createBilling: z.boolean().optional(),
    /** The agreement type of the agreements made (ConnectWise; default "Managed Services"). */
    agreementType: safeText().min(1).max(50).optional(),
    /** The category of the contracts made (Autotask; a label of its contract category picklist; default none). */
    contractCategory: safeText().min(1).max(100).optional(),
  })
  .strict();
export type ImportConfirm = z.input<typeof importConfirmSchema>;

export interface ImportStarted {
  batchId: string;
  workflowId: string;
  rows: number;
}

/** The up-front refusal of an import whose billing objects the PSA would refuse, naming each right. */
export const importBillingRightsMissing = (psa: PsaKind, lacking: readonly MissingRight[]) =>
  new RuleViolation(
    'import_billing_rights_missing',
    `${PSA_LABELS[psa]} would refuse the billing objects this import makes: the API user lacks ${lacking.map((m) => m.right).join(' and ')}. ${lacking.map((m) => m.detail).join(' ')} Or confirm with createBilling: false (companies are still created and adopted; those without a fitting billing object stay unmapped).`,
  );

const choice = (c: { id: string; name: string; score: number }): CompanyChoice => ({ companyId: c.id, companyName: c.name, score: c.score });

/** Every active company of the PSA, a page of the PSA's largest size at a time. */
async function allCompanies(companies: PsaCompanies): Promise<PsaCompany[]> {
  const out: PsaCompany[] = [];
  let cursor: string | null = null;
  do {
    const page = await companies.list({ pageSize: companies.traits.maxPageSize, cursor });
    out.push(...page.items.filter((c) => c.active));
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

export function createOrgImportClient(deps: IntegrationsClientDeps) {
  const { db, temporal, taskQueue } = deps;
  const adapters = createAdapterProvider(db, deps.keys, deps.psa);

  async function connected(partnerId: string, psa: PsaKind): Promise<{ adapter: PsaAdapter; connectionId: string; companies: PsaCompanies }> {
    parse(idSchema, partnerId, 'partnerId');
    parse(psaSchema, psa, 'psa');
    if (!(await partnerExists(db, partnerId))) throw new NotFound('Partner');
    const live = await liveConnection(db, partnerId, psa);
    if (!live || live.status !== 'connected') throw notConnected(psa);
    const { adapter } = await adapters.forConnection(live.id); // refuses an Unhealthy connection before any PSA call
    const companies = adapter.companies?.();
    if (!companies) throw new RuleViolation('import_not_supported', 'This PSA connection cannot list or create companies for an import.');
    return { adapter, connectionId: live.id, companies };
  }

  return {
    async preview(partnerId: string, psa: PsaKind): Promise<ImportPreview> {
      try {
        const { connectionId, companies } = await connected(partnerId, psa);
        const caps = capabilitiesOf(psa);
        const all = await importCandidates(db, partnerId, connectionId);
        const unmapped = all.filter((o) => o.mappedConnectionId === null);
        const psaCompanies = await allCompanies(companies);
        const index = new CompanyNameIndex(psaCompanies);
        const rows: PreviewRow[] = unmapped.map((o) => {
          const m = index.match(o.name);
          return {
            organizationId: o.id,
            organizationName: o.name,
            planId: o.planId,
            planName: o.planName,
            planReady: !caps.planBeforeOrganization || o.planMapping !== null,
            outcome: m.outcome,
            match: m.best ? choice(m.best) : null,
            alternatives: m.alternatives.map(choice),
            billing: null,
            values: null,
          };
        });
        const wanted = rows.filter((r) => r.match && r.planReady);
        const plans = new Map(unmapped.map((o) => [o.id, o.planMapping]));
        const proposals = await companies.proposeBilling(
          wanted.map((r) => ({ companyId: (r.match as CompanyChoice).companyId, plan: caps.planMapping ? (plans.get(r.organizationId) ?? null) : null })),
        );
        wanted.forEach((r, i) => {
          const p = proposals[i] ?? { values: null, fits: 0 };
          r.billing = p;
          r.values = p.values;
        });
        return {
          connectionId,
          psa,
          companiesScanned: psaCompanies.length,
          alreadyMapped: all.length - unmapped.length,
          createParents: companies.traits.parentRequired ? await companies.parents() : [],
          createNeedsPhone: companies.traits.phoneRequired,
          organizations: rows,
        };
      } catch (err) {
        throw typedErrorOf(err);
      }
    },

    /** Starts the batch; the rows' results come from `progress`. */
    async confirm(partnerId: string, psa: PsaKind, raw: ImportConfirm, actor: string): Promise<ImportStarted> {
      const body = parse(importConfirmSchema, raw);
      parse(actorSchema, actor, 'actor');
      const issues: FieldIssue[] = [];
      const seen = new Set<string>();
      body.rows.forEach((r, i) => {
        if (seen.has(r.organizationId)) issues.push({ field: `rows.${i}.organizationId`, message: 'appears twice in the batch' });
        seen.add(r.organizationId);
      });
      if (issues.length > 0) throw new InvalidInput(issues);
      try {
        const { connectionId, companies } = await connected(partnerId, psa);
        if (body.rows.some((r) => r.action === 'create')) {
          if (companies.traits.parentRequired) {
            if (!body.createUnder) throw new InvalidInput([{ field: 'createUnder', message: 'choose the top level new companies go under' }]);
            if (!(await companies.parents()).some((p) => p.id === body.createUnder)) throw new InvalidInput([{ field: 'createUnder', message: 'is not a top level of this PSA' }]);
          }
          if (companies.traits.phoneRequired && !body.phone) throw new InvalidInput([{ field: 'phone', message: 'new companies need a phone number in this PSA' }]);
        }
        // Billing objects are made for created and adopted rows: a right they need that is missing
        // refuses the whole import here, rather than row after row once companies exist.
        if ((body.createBilling ?? true) && body.rows.some((r) => r.action !== 'map')) {
          const lacking = await companies.importBillingRights();
          if (lacking.length > 0) throw importBillingRightsMissing(psa, lacking);
        }
        const batchId = randomUUID();
        const workflowId = organizationImportWorkflowId(partnerId, psa, batchId);
        const rows: ImportRow[] = body.rows.map((r): ImportRow =>
          r.action === 'map' ? { organizationId: r.organizationId, action: 'map', values: r.values }
          : r.action === 'adopt' ? { organizationId: r.organizationId, action: 'adopt', companyId: r.companyId }
          : { organizationId: r.organizationId, action: 'create' },
        );
        await temporal.workflow.start(organizationImportWorkflow, {
          workflowId,
          taskQueue,
          args: [
            {
              partnerId,
              psa,
              connectionId,
              batchId,
              actor,
              createUnder: companies.traits.parentRequired ? (body.createUnder ?? null) : null,
              phone: companies.traits.phoneRequired ? (body.phone ?? null) : null,
              createBilling: body.createBilling ?? true,
              agreementType: body.agreementType ?? null,
              contractCategory: body.contractCategory ?? null,
              rows,
            },
          ],
          typedSearchAttributes: [
            { key: PartnerIdKey, value: partnerId },
            { key: VendorKey, value: psa },
          ],
        });
        return { batchId, workflowId, rows: rows.length };
      } catch (err) {
        throw typedErrorOf(err);
      }
    },

    /** How far the batch is, row by row; the same shape while it runs and once it finished. */
    async progress(partnerId: string, psa: PsaKind, batchId: string): Promise<ImportProgress> {
      parse(idSchema, partnerId, 'partnerId');
      parse(psaSchema, psa, 'psa');
      parse(idSchema, batchId, 'batchId');
      const handle = temporal.workflow.getHandle<typeof organizationImportWorkflow>(organizationImportWorkflowId(partnerId, psa, batchId));
      try {
        const described = await handle.describe();
        if (described.status.name === ('COMPLETED' satisfies WorkflowExecutionStatusName)) {
          const results = await handle.result();
          return progressOf(batchId, results.length, results, true);
        }
        return await handle.query(importProgressQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new NotFound('Import batch');
        throw typedErrorOf(err);
      }
    },
  };
}

export type OrgImportClient = ReturnType<typeof createOrgImportClient>;
