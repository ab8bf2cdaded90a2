/**
 * The portal journey for one PSA, through the HTTP API: connect → ticket mapping → plan →
 * organization → edit → unlink → revoke → connect again, plus the refusals a partner meets
 * on the way. Each step checks its answer and throws when the system misbehaves.
 */
import type { MappingValues, PsaKind } from '../psa/core/types';
import { PSA_LABELS } from '../psa/core/types';
import { capabilitiesOf } from '../psa/capabilities';
import type { DemoTenant } from './seed';

export interface DemoVendor {
  psa: PsaKind;
  credentials: Record<string, string>;
  ticketMapping: MappingValues;
  planMapping: MappingValues;
  organization: MappingValues;
}

export type ApiCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

export class DemoStepFailed extends Error {}

export async function runJourney(api: ApiCall, tenant: DemoTenant, v: DemoVendor, say: (line: string) => void): Promise<void> {
  const base = `/v1/partners/${tenant.partnerId}/integrations/${v.psa}`;
  const [org] = tenant.organizations as [DemoTenant['organizations'][number]];
  const label = PSA_LABELS[v.psa];
  const expect = async (what: string, status: number, call: Promise<{ status: number; body: any }>, show?: (b: any) => string) => {
    const res = await call;
    if (res.status !== status) throw new DemoStepFailed(`${label}: ${what} answered ${res.status} ${JSON.stringify(res.body)} (expected ${status})`);
    say(`  ✓ ${what}${show ? ` — ${show(res.body)}` : ''}`);
    return res.body;
  };
  const refusal = (b: any) => `${b.error.code}: "${b.error.message}"`;

  say(`\n${label}`);
  const connected = await expect('connect', 201, api('POST', `${base}/connect`, { credentials: v.credentials }), (b) => `${b.integration.status}, ${b.integration.health} (${b.accountName})`);
  await expect('ticket mapping with a blank field is refused', 400, api('PUT', `${base}/ticket-mapping`, { values: { ...v.ticketMapping, status: '' } }), (b) => b.error.issues.map((i: any) => `${i.field}: ${i.message}`).join('; '));
  await expect('ticket mapping', 200, api('PUT', `${base}/ticket-mapping`, { values: v.ticketMapping }), (b) => `ticket mapping done: ${b.integration.ticketMappingDone}`);
  const can = capabilitiesOf(v.psa);
  if (!can.planMapping) {
    await expect('plan mapping is refused', 409, api('PUT', `${base}/plan-mappings/${tenant.planId}`, { values: {} }), refusal);
  } else {
    if (can.planBeforeOrganization) {
      await expect(`organization before its plan is refused`, 409, api('PUT', `${base}/organization-mappings/${org.id}`, { values: v.organization }), refusal);
    }
    await expect('plan mapping', 200, api('PUT', `${base}/plan-mappings/${tenant.planId}`, { values: v.planMapping }), (b) => `plan ${b.plan.mappings.map((m: any) => `${m.psa}: ${m.status}`).join(', ')}`);
  }
  await expect(`organization mapping (${org.name})`, 200, api('PUT', `${base}/organization-mappings/${org.id}`, { values: v.organization }), (b) => `${b.organization.mapping.psa} ${JSON.stringify(b.organization.mapping.values)}`);
  await expect('edit the organization mapping', 200, api('PUT', `${base}/organization-mappings/${org.id}`, { values: v.organization }));
  await expect('unlink the organization', 204, api('DELETE', `${base}/organization-mappings/${org.id}`));
  await expect('map it again before revoking', 200, api('PUT', `${base}/organization-mappings/${org.id}`, { values: v.organization }));
  await expect('revoke', 200, api('POST', `${base}/revoke`), (b) => `unlinked ${b.unlinkedOrganizations} organization(s), ${b.unlinkedPlans} plan(s); now ${b.integration.status}`);
  const again = await expect('connect again', 201, api('POST', `${base}/connect`, { credentials: v.credentials }), (b) => `new connection ${b.connectionId.slice(0, 8)}…`);
  if (again.connectionId === connected.connectionId) throw new DemoStepFailed(`${label}: connect again reused the revoked connection`);
}
