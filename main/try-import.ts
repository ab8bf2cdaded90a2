/**
 * What `npm run try -- import <psa> [--create-unmatched]` confirms, from the import preview: the
 * matched rows with their proposed mapping, and with `--create-unmatched` the organizations no PSA
 * company matches (no candidate, or only a weak one) as new companies, each with the plan's
 * billing object (the import's default). Ties and matches without exactly one billing object are
 * left for the portal. Pure, so the test confirms exactly what the command does.
 */
import type { ImportConfirm, ImportPreview } from '../client/org-import';

/** The phone number new Autotask companies get in the try-it flow (Autotask requires one). */
export const TRY_PHONE = '+1 555 0100';

export interface TryImportOptions {
  createUnmatched: boolean;
}

export interface TryImportPlan {
  /** The confirm body; null when no row is to be confirmed. */
  body: ImportConfirm | null;
  mapped: number;
  created: number;
  /** Organizations left for the portal, with why. */
  left: { name: string; why: string }[];
}

/** The command line's options after the PSA: `--create-unmatched`; anything else is refused. */
export function parseTryImportFlags(flags: readonly string[]): TryImportOptions | { error: string } {
  const unknown = flags.filter((f) => f !== '--create-unmatched');
  if (unknown.length > 0) return { error: `unknown option ${unknown.join(' ')} (the import knows --create-unmatched)` };
  return { createUnmatched: flags.includes('--create-unmatched') };
}

export function tryImportPlan(preview: ImportPreview, options: TryImportOptions): TryImportPlan {
  const rows: ImportConfirm['rows'] = [];
  const left: TryImportPlan['left'] = [];
  let created = 0;
  for (const r of preview.organizations) {
    if (r.outcome === 'matched' && r.values) {
      rows.push({ organizationId: r.organizationId, action: 'map', values: r.values });
    } else if ((r.outcome === 'none' || r.outcome === 'weak') && options.createUnmatched && r.planReady) {
      rows.push({ organizationId: r.organizationId, action: 'create' });
      created += 1;
    } else {
      const why =
        !r.planReady ? 'its plan is not mapped on this PSA'
        : r.outcome === 'matched' ? `${r.billing?.fits ?? 0} billing objects fit the plan; choose in the portal`
        : r.outcome === 'tie' ? 'several companies match equally; choose in the portal'
        : 'no company matches (add --create-unmatched to create it)';
      left.push({ name: r.organizationName, why });
    }
  }
  if (rows.length === 0) return { body: null, mapped: 0, created: 0, left };
  const topLevel = preview.createParents[0]?.id;
  const body: ImportConfirm = {
    rows,
    ...(created > 0 && topLevel ? { createUnder: topLevel } : {}),
    ...(created > 0 && preview.createNeedsPhone ? { phone: TRY_PHONE } : {}),
  };
  return { body, mapped: rows.length - created, created, left };
}
