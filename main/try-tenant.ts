/**
 * The small tenant `npm start` loads (with the simulators) so a newcomer can try the system: a
 * master reseller with an Owner, two plans and six organizations whose names are the simulators'
 * customers written the way a platform would hold them (suffixes, case, "&"), so an import has
 * something to match — and one name two PSA companies share, a tie it leaves to the portal.
 * Fixed ids and versions: loading it again is a no-op.
 */
export const TRY_TENANT = {
  partnerId: '7e1a0000-0000-4000-8000-000000000001',
  partnerName: 'Try-It Master Reseller',
  ownerId: '7e1a0000-0000-4000-8000-000000000002',
  ownerEmail: 'owner@try-it.example',
  plans: [
    { id: '7e1a0000-0000-4000-8000-000000000011', name: 'Backup Standard' },
    { id: '7e1a0000-0000-4000-8000-000000000012', name: 'Backup Premium' },
  ],
  organizations: [
    { id: '7e1a0000-0000-4000-8000-000000000101', name: 'northwind dental LLC', plan: 0, seats: 12 },
    { id: '7e1a0000-0000-4000-8000-000000000102', name: 'CONTOSO DENTAL', plan: 0, seats: 8 },
    { id: '7e1a0000-0000-4000-8000-000000000103', name: 'Fabrikam Legal & Co', plan: 1, seats: 30 },
    { id: '7e1a0000-0000-4000-8000-000000000104', name: 'The Tailspin Legal Ltd', plan: 1, seats: 15 },
    { id: '7e1a0000-0000-4000-8000-000000000105', name: 'Blue Yonder Dental, Inc.', plan: 0, seats: 5 },
    // Two PSA companies carry this very name: a tie the import never picks on its own.
    { id: '7e1a0000-0000-4000-8000-000000000106', name: 'Riverside Medical Group', plan: 0, seats: 9 },
  ],
} as const;

const VERSION = 1;

/** The directory batch (`POST /v1/directory/batch`) that creates the tenant. */
export function tryTenantBatch(): { records: Record<string, unknown>[] } {
  const t = TRY_TENANT;
  return {
    records: [
      { op: 'upsert', type: 'partner', id: t.partnerId, version: VERSION, name: t.partnerName, kind: 'master_reseller', parentId: null },
      { op: 'upsert', type: 'user', id: t.ownerId, version: VERSION, partnerId: t.partnerId, email: t.ownerEmail, role: 'owner', active: true },
      ...t.plans.map((p) => ({ op: 'upsert', type: 'plan', id: p.id, version: VERSION, ownerPartnerId: t.partnerId, name: p.name, assignedTo: [] })),
      ...t.organizations.map((o) => ({
        op: 'upsert',
        type: 'organization',
        id: o.id,
        version: VERSION,
        partnerId: t.partnerId,
        planId: t.plans[o.plan].id,
        name: o.name,
        seatCount: o.seats,
        status: 'active',
      })),
    ],
  };
}

/** Loads the tenant through the running API; answers the per-record counts. */
export async function loadTryTenant(apiBase: string, token: string): Promise<{ applied: number; unchanged: number; stale: number; refused: number }> {
  const res = await fetch(`${apiBase}/v1/directory/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(tryTenantBatch()),
  });
  const body = (await res.json()) as { counts?: { applied: number; unchanged: number; stale: number; refused: number }; results?: { outcome: string; message?: string }[] };
  if (!res.ok || !body.counts) throw new Error(`the try-it tenant was not loaded: HTTP ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  if (body.counts.refused > 0) {
    const why = (body.results ?? []).filter((r) => r.outcome === 'refused').map((r) => r.message).join('; ');
    throw new Error(`the try-it tenant was refused in part: ${why.slice(0, 500)}`);
  }
  return body.counts;
}
