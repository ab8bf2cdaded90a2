/**
 * What the organization import reads: the partner's organizations with where each is mapped (any
 * PSA) and its plan's mapping on the importing connection.
 */
import type { MappingValues, PsaKind } from '../../psa/core/types';
import type { Db } from '../connect';

export interface ImportCandidate {
  id: string;
  name: string;
  planId: string;
  planName: string;
  seatCount: number;
  /** The PSA the organization is mapped to, if any (one at a time). */
  mappedPsa: PsaKind | null;
  mappedConnectionId: string | null;
  mappedValues: MappingValues | null;
  /** The plan's mapping on the importing connection; null when the plan is not mapped there. */
  planMapping: MappingValues | null;
}

const parsed = (v: unknown): MappingValues | null => (v === null || v === undefined ? null : typeof v === 'string' ? (JSON.parse(v) as MappingValues) : (v as MappingValues));

/**
 * The partner's organizations (all of them, or those listed), oldest first, with their mapping facts.
 * A deleted organization is never a candidate: the preview does not offer it and a confirm naming it
 * is refused as not found before any PSA company or billing object is made for it.
 */
export async function importCandidates(db: Db, partnerId: string, connectionId: string, organizationIds?: readonly string[]): Promise<ImportCandidate[]> {
  if (organizationIds && organizationIds.length === 0) return [];
  let q = db
    .selectFrom('organizations')
    .innerJoin('plans', 'plans.id', 'organizations.planId')
    .leftJoin('organizationMappings', 'organizationMappings.organizationId', 'organizations.id')
    .leftJoin('planMappings', (join) => join.onRef('planMappings.planId', '=', 'organizations.planId').on('planMappings.connectionId', '=', connectionId))
    .select([
      'organizations.id',
      'organizations.name',
      'organizations.planId',
      'plans.name as planName',
      'organizations.seatCount',
      'organizationMappings.psa as mappedPsa',
      'organizationMappings.connectionId as mappedConnectionId',
      'organizationMappings.values as mappedValues',
      'planMappings.values as planMapping',
    ])
    .where('organizations.partnerId', '=', partnerId)
    .where('organizations.status', '<>', 'deleted');
  if (organizationIds) q = q.where('organizations.id', 'in', [...organizationIds]);
  const rows = await q.orderBy('organizations.createdAt').orderBy('organizations.id').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    planId: r.planId,
    planName: r.planName,
    seatCount: Number(r.seatCount),
    mappedPsa: r.mappedPsa ?? null,
    mappedConnectionId: r.mappedConnectionId ?? null,
    mappedValues: parsed(r.mappedValues),
    planMapping: parsed(r.planMapping),
  }));
}
