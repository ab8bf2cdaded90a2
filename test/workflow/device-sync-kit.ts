/**
 * Device-sync test helpers: a mapped organization with device sync set up, the configurations
 * each simulator holds (normalised), and what a technician does to one in the PSA UI.
 */
import type { PsaKind } from '../../psa/core/types';
import type { Stack } from '../helpers/stack';
import { connectIntegration } from '../helpers/integration-fixture';
import { seedTenants } from '../helpers/seed';
import { createDevicesClient, type DeviceSyncSettingsInput } from '../../client/devices';
import { INVENTORY_FIXTURES as CW_INV } from '../../sims/connectwise/seed';
import { INVENTORY_FIXTURES as AT_INV } from '../../sims/autotask/seed';
import { INVENTORY_FIXTURES as HALO_INV } from '../../sims/halopsa/seed';
import type { DeviceReport } from '../../domain/devices';

export interface SimConfig {
  id: string;
  deviceId: string | null;
  name: string;
  serialNumber: string | null;
  active: boolean;
  companyId: string;
  typeId: string;
  notes: string | null;
  contactId: string | null;
  link: string | null;
}

export const INVENTORY: Record<PsaKind, { company: string; existing: readonly { id: string; name: string; serialNumber: string }[]; contactId: string }> = {
  connectwise: { company: CW_INV.company, existing: CW_INV.existing, contactId: CW_INV.contact.id },
  autotask: { company: AT_INV.company, existing: AT_INV.existing, contactId: AT_INV.contact.id },
  halopsa: { company: HALO_INV.client, existing: HALO_INV.existing, contactId: HALO_INV.user.id },
};

export function simConfigs(stack: Stack, psa: PsaKind): SimConfig[] {
  switch (psa) {
    case 'connectwise':
      return stack.sims.connectwise.state.data.configurations.map((c) => ({
        id: String(c.id),
        deviceId: c.deviceIdentifier,
        name: c.name,
        serialNumber: c.serialNumber,
        active: c.activeFlag,
        companyId: String(c.company.id),
        typeId: String(c.type.id),
        notes: (c as unknown as { notes: string | null }).notes,
        contactId: c.contact ? String(c.contact.id) : null,
        link: c.managementLink,
      }));
    case 'autotask':
      return stack.sims.autotask.state.seed.configurationItems.map((c) => ({
        id: String(c.id),
        deviceId: c.userDefinedFields.find((u) => u.name === AT_INV.deviceIdUdf)?.value ?? null,
        name: c.referenceTitle ?? '',
        serialNumber: c.serialNumber,
        active: c.isActive,
        companyId: String(c.companyID),
        typeId: String(c.productID),
        notes: c.notes,
        contactId: c.contactID === null ? null : String(c.contactID),
        link: c.userDefinedFields.find((u) => u.name === 'Platform Device Link')?.value ?? null,
      }));
    case 'halopsa':
      return stack.sims.halopsa.state.data.assets.map((a) => ({
        id: String(a.id),
        deviceId: a.inventory_number || null,
        name: a.key_field,
        serialNumber: a.fields[Number(HALO_INV.serialField)] ?? null,
        active: !a.inactive,
        companyId: String(a.client_id),
        typeId: String(a.assettype_id),
        notes: a.notes || null,
        contactId: a.users[0] ? String(a.users[0].id) : null,
        link: a.customfields[Number(HALO_INV.linkField)] ?? null,
      }));
  }
}

/** A technician types notes on a configuration in the PSA. */
export function setNotesInPsa(stack: Stack, psa: PsaKind, id: string, notes: string): void {
  if (psa === 'connectwise') (stack.sims.connectwise.state.data.configurations.find((c) => String(c.id) === id) as unknown as { notes: string }).notes = notes;
  else if (psa === 'autotask') (stack.sims.autotask.state.seed.configurationItems.find((c) => String(c.id) === id) as { notes: string | null }).notes = notes;
  else (stack.sims.halopsa.state.data.assets.find((a) => String(a.id) === id) as { notes: string }).notes = notes;
}

export const fastTiming = { debounceMs: 200, idleMs: 300 };

export function devicesClient(stack: Stack) {
  return createDevicesClient({ db: stack.db, temporal: stack.client, taskQueue: stack.taskQueue, timing: fastTiming });
}

export async function deviceSyncSetup(stack: Stack, psa: PsaKind, settings: DeviceSyncSettingsInput, opts: { organizations?: number; mapped?: number } = {}) {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: opts.organizations ?? 1 });
  const partner = tenants.direct;
  const mapped = partner.organizationIds.slice(0, opts.mapped ?? 1);
  const fx = await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: partner.id, psa, organizationIds: mapped });
  const client = devicesClient(stack);
  await client.setSettings(fx.connectionId, settings, partner.users.admin);
  return { partner, fx, client, organizationId: mapped[0] as string, unmappedIds: partner.organizationIds.slice(mapped.length) };
}

let seq = 0;
export function makeDevices(n: number, over: (i: number) => Partial<DeviceReport> = () => ({}), at = '2026-12-01T00:00:00.000Z'): DeviceReport[] {
  seq += 1;
  return Array.from({ length: n }, (_, i) => ({
    deviceId: `dev-${seq}-${i}`,
    nodeClass: 'WINDOWS_WORKSTATION',
    systemName: `PC-${seq}-${i}`,
    serialNumber: `SER-${seq}-${i}`,
    model: `Model ${i}`,
    os: 'Windows 11',
    updatedAt: at,
    ...over(i),
  }));
}
