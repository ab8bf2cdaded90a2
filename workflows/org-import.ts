/**
 * The organization import batch: one durable workflow per confirmed import
 * (`org-import/<partnerId>/<psa>/<batchId>`). Each row is one activity that creates the company
 * where asked (looked up by name first, so a retry after a crash adopts the one already made) and
 * finds or makes its billing object (ours found by its name, so never made twice), then one that
 * maps the organization through the integration lifecycle workflow's mapping Update, so every
 * mapping rule holds per row. A refused row is recorded with its code and the batch goes on.
 * Progress is a query; results travel across continue-as-new.
 */
import { ActivityFailure, ApplicationFailure, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { codeOfType } from '../domain/error-catalogue';
import type { OrgImportActivities } from '../activities/org-import';
import { psaActivity } from './options';
import { importProgressQuery, progressOf, type ImportRowResult, type OrganizationImportInput } from './org-import-messages';

// A row maps through another workflow's Update (queued behind that integration's other changes),
// so it may take a while; it heartbeats, so a killed worker's row is retried within seconds.
const rows = proxyActivities<OrgImportActivities>({ ...psaActivity, startToCloseTimeout: '10m', heartbeatTimeout: '5s' });

/** Rows handled per run before continue-as-new (~6 history events each). */
export const ROWS_PER_RUN = 250;
/** Rows in flight at once; their mappings still queue one by one in the integration workflow. */
export const ROWS_IN_PARALLEL = 4;

export async function organizationImportWorkflow(input: OrganizationImportInput): Promise<ImportRowResult[]> {
  const { rows: all, results: carried, ...settings } = input;
  const results: ImportRowResult[] = [...(carried ?? [])];
  setHandler(importProgressQuery, () => progressOf(settings.batchId, all.length, results, results.length === all.length));

  let thisRun = 0;
  while (results.length < all.length) {
    if (thisRun >= ROWS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof organizationImportWorkflow>({ ...settings, rows: all, results });
    }
    const slice = all.slice(results.length, results.length + ROWS_IN_PARALLEL);
    const done = await Promise.all(
      slice.map(async (row): Promise<ImportRowResult> => {
        try {
          const prepared = await rows.importPrepareRow({ ...settings, row });
          if (!prepared.ok) return prepared.result;
          return await rows.importMapRow({ ...settings, organizationId: row.organizationId, values: prepared.values, created: prepared.created, companyId: prepared.companyId });
        } catch (err) {
          // Retries exhausted (the PSA stayed down): this row is reported, the batch goes on.
          if (!(err instanceof ActivityFailure)) throw err;
          const cause = err.cause instanceof ApplicationFailure ? err.cause : null;
          const code = (cause?.type ? codeOfType(cause.type) : null) ?? 'internal';
          return { organizationId: row.organizationId, outcome: 'refused', created: false, companyId: null, values: null, code, message: cause?.message ?? err.message };
        }
      }),
    );
    results.push(...done);
    thisRun += slice.length;
  }
  return results;
}
