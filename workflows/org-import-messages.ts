/**
 * The organization import batch's messages, shared by the workflow, its activity and the client:
 * the workflow id, the input, one row's result and the progress query. Pure (bundled into the
 * workflow sandbox).
 */
import { defineQuery } from '@temporalio/workflow';
import type { MappingValues, PsaKind } from '../psa/core/types';

export const organizationImportWorkflowId = (partnerId: string, psa: PsaKind, batchId: string) => `org-import/${partnerId}/${psa}/${batchId}`;

/**
 * One accepted preview row: map to the chosen company + billing object; create the company first;
 * or map to this existing company with the billing object that fits (made when none does).
 */
export type ImportRow =
  | { organizationId: string; action: 'map'; values: MappingValues }
  | { organizationId: string; action: 'create' }
  | { organizationId: string; action: 'adopt'; companyId: string };

export interface ImportBatchSettings {
  partnerId: string;
  psa: PsaKind;
  connectionId: string;
  batchId: string;
  actor: string;
  /** Where new companies go (HaloPSA top level); null elsewhere. */
  createUnder: string | null;
  /** Phone number of new companies where the PSA requires one (Autotask). */
  phone: string | null;
  /**
   * Make the plan's billing object for a company that has none (new companies, adopted ones);
   * absent in batches started before the option existed, which did not (false).
   */
  createBilling?: boolean;
  /** ConnectWise: the type of the agreements made (null: the default type). */
  agreementType?: string | null;
  /** Autotask: the category of the contracts made (null: none). */
  contractCategory?: string | null;
}

export interface ImportRowResult {
  organizationId: string;
  outcome: 'mapped' | 'refused';
  /** A PSA company was made for this row (by this batch, possibly in an attempt before a crash). */
  created: boolean;
  companyId: string | null;
  values: MappingValues | null;
  /** The refusal's stable code (error catalogue) and sentence. */
  code: string | null;
  message: string | null;
}

export interface OrganizationImportInput extends ImportBatchSettings {
  rows: ImportRow[];
  /** Results of the rows done by earlier runs (continue-as-new carries them). */
  results?: ImportRowResult[];
}

export interface ImportProgress {
  batchId: string;
  total: number;
  done: number;
  mapped: number;
  created: number;
  refused: number;
  finished: boolean;
  rows: ImportRowResult[];
}

export const importProgressQuery = defineQuery<ImportProgress>('progress');

export function progressOf(batchId: string, total: number, results: readonly ImportRowResult[], finished: boolean): ImportProgress {
  return {
    batchId,
    total,
    done: results.length,
    mapped: results.filter((r) => r.outcome === 'mapped').length,
    created: results.filter((r) => r.created).length,
    refused: results.filter((r) => r.outcome === 'refused').length,
    finished,
    rows: [...results],
  };
}
