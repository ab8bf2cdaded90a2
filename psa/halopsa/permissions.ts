/**
 * Permission probes: one cheap read per capability, and an empty upsert of software licences
 * (writes nothing) for the licence write seat sync needs. The sentences name the role settings from
 * the vendor's HaloPSA setup guide (Configuration > Teams & Agents > Roles).
 */
import { PsaPermissionError } from '../core/errors';
import type { Capability, PermissionReport } from '../core/types';
import type { HaloApi } from './client';

const ROLE_PATH = "the HaloPSA API agent's role (Configuration > Teams & Agents > Roles)";

export const HALO_CAPABILITY_PROBES: Record<Capability, { path: string; right: string }> = {
  tickets: {
    path: 'Tickets',
    right: `Set "Tickets Access Level" to "Read and Modify", with "Can add new Tickets" and "Can Edit Tickets Which Are Not Assigned to Them" on, in ${ROLE_PATH}.`,
  },
  companies: { path: 'Client', right: `Set "Customers Access Level" to at least "Read Only" in ${ROLE_PATH}.` },
  billing: { path: 'SoftwareLicence', right: `Set "Software Licensing Access Level" to "Read and Modify" in ${ROLE_PATH}.` },
  catalog: { path: 'Supplier', right: `Set "Suppliers Access Level" to "Read and Modify" in ${ROLE_PATH}.` },
};

export async function probeHaloPermissions(api: HaloApi): Promise<PermissionReport> {
  const report: PermissionReport = { granted: [], missing: [], limited: [] };
  for (const [capability, probe] of Object.entries(HALO_CAPABILITY_PROBES) as [Capability, { path: string; right: string }][]) {
    try {
      await api.get(probe.path, { pageinate: true, page_size: 1, page_no: 1 });
      report.granted.push(capability);
    } catch (err) {
      if (!(err instanceof PsaPermissionError)) throw err;
      report.missing.push({ capability, detail: probe.right });
    }
  }
  // Seat sync writes licence counts (and the import makes licences) with the same right: a role
  // that only reads licences cannot run the integration, so it is a missing right, not a limit.
  if (report.granted.includes('billing') && !(await api.canWrite(HALO_CAPABILITY_PROBES.billing.path))) {
    report.granted = report.granted.filter((c) => c !== 'billing');
    report.missing.push({ capability: 'billing', detail: `${HALO_CAPABILITY_PROBES.billing.right} It is "Read Only": seat sync writes licence counts.` });
  }
  return report;
}
