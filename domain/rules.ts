/**
 * Pure rules of the integration lifecycle, from the vendor documents: whether a PSA maps plans,
 * whether it needs the plan mapped before an organization (its capabilities, psa/capabilities.ts),
 * which fields a mapping form requires, and the sentences a partner reads when a rule refuses a
 * change. No I/O: the lifecycle activities call these with rows they loaded, and the unit tests
 * call them directly.
 */
import type { FieldSpec, MappingKind, MappingValues, PsaKind } from '../psa/core/types';
import { PSA_LABELS } from '../psa/core/types';
import { capabilitiesOf } from '../psa/capabilities';
import { InvalidInput, RuleViolation, type FieldIssue } from './errors';

const KIND_LABEL: Record<MappingKind, string> = { ticket: 'ticket mapping', plan: 'plan mapping', organization: 'organization mapping' };

/**
 * Every field of a mapping form is required ("All fields are required, so ensure none are left
 * blank"); unknown fields are refused so a typo never silently drops a value; boolean fields take
 * 'true' | 'false'. Returns one issue per problem, keyed `values.<field>`.
 */
export function mappingShapeIssues(specs: readonly FieldSpec[], values: MappingValues): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const known = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const value = values[spec.name];
    if (value === undefined || value.trim() === '') {
      issues.push({ field: `values.${spec.name}`, message: `${spec.label} is required` });
    } else if (spec.type === 'boolean' && value !== 'true' && value !== 'false') {
      issues.push({ field: `values.${spec.name}`, message: `${spec.label} must be 'true' or 'false'` });
    }
  }
  for (const name of Object.keys(values)) {
    if (!known.has(name)) issues.push({ field: `values.${name}`, message: `${name} is not a field of this form` });
  }
  return issues;
}

export function assertMappingShape(specs: readonly FieldSpec[], values: MappingValues): void {
  const issues = mappingShapeIssues(specs, values);
  if (issues.length > 0) throw new InvalidInput(issues);
}

/** The chosen values of the fields `spec` depends on (what the PSA needs to look the option up). */
export function parentsOf(spec: FieldSpec, values: MappingValues): MappingValues {
  return Object.fromEntries(spec.dependsOn.filter((p) => values[p] !== undefined).map((p) => [p, values[p] as string]));
}

/** Picklist fields in dependency order, so parents are checked before their children. */
export function picklistFieldsInOrder(specs: readonly FieldSpec[]): FieldSpec[] {
  const ordered: FieldSpec[] = [];
  const placed = new Set<string>();
  const pending = specs.filter((s) => s.type === 'picklist');
  while (pending.length > 0) {
    const i = pending.findIndex((s) => s.dependsOn.every((d) => placed.has(d) || !specs.some((x) => x.name === d && x.type === 'picklist')));
    const [next] = pending.splice(i === -1 ? 0 : i, 1);
    ordered.push(next as FieldSpec);
    placed.add((next as FieldSpec).name);
  }
  return ordered;
}

export function optionNotInPsa(psa: PsaKind, kind: MappingKind, spec: FieldSpec, id: string): RuleViolation {
  return new RuleViolation(
    'option_not_found',
    `The ${spec.label} you chose (${id}) does not exist in ${PSA_LABELS[psa]}${spec.dependsOn.length ? ` for the selected ${spec.dependsOn.join(', ')}` : ''}; pick another one for the ${KIND_LABEL[kind]}.`,
  );
}

export function assertPlansMappedIn(psa: PsaKind): void {
  if (!capabilitiesOf(psa).planMapping) {
    throw new RuleViolation('plan_mapping_not_supported', `Plans are not mapped in ${PSA_LABELS[psa]}; map organizations to a customer and software licence instead.`);
  }
}

/** An organization is on one PSA at a time; editing the mapping on the same PSA is fine. */
export function assertOrganizationFree(organizationName: string, mappedOn: PsaKind | null, target: PsaKind, sameConnection: boolean): void {
  if (mappedOn === null || sameConnection) return;
  throw new RuleViolation(
    'organization_mapped_elsewhere',
    `${organizationName} is mapped to ${PSA_LABELS[mappedOn]} — unlink it there first, then map it to ${PSA_LABELS[target]}.`,
  );
}

export function assertPlanMappedFirst(psa: PsaKind, organizationName: string, planName: string, planMapped: boolean): void {
  if (planMapped || !capabilitiesOf(psa).planBeforeOrganization) return;
  throw new RuleViolation(
    'plan_not_mapped',
    `Map the plan "${planName}" to ${PSA_LABELS[psa]} before mapping ${organizationName}: an organization can only be mapped once its plan is.`,
  );
}

/** Unlinking a plan would orphan organization mappings that rely on it (the reverse of plan_not_mapped). */
export function assertPlanUnlinkable(psa: PsaKind, planName: string, mappedOrganizations: number): void {
  if (mappedOrganizations === 0 || !capabilitiesOf(psa).planBeforeOrganization) return;
  throw new RuleViolation(
    'plan_has_mapped_organizations',
    `${mappedOrganizations} organization(s) on the plan "${planName}" are mapped to ${PSA_LABELS[psa]}; unlink them before unlinking the plan.`,
  );
}

export const notConnected = (psa: PsaKind) =>
  new RuleViolation('not_connected', `${PSA_LABELS[psa]} is not connected; connect it first.`);

export const alreadyConnected = (psa: PsaKind) =>
  new RuleViolation('already_connected', `${PSA_LABELS[psa]} is already connected; revoke it before connecting again.`);

export const connectInProgress = (psa: PsaKind) =>
  new RuleViolation('connect_in_progress', `A connection to ${PSA_LABELS[psa]} is being set up; wait for it to finish.`);

/** What a passing connection test says (the portal's own wording). */
export const CONNECTION_TEST_PASSED = 'Connection succeeded with provided credentials.';

export const credentialsRejected = (psa: PsaKind, reason: string) =>
  new RuleViolation('credentials_rejected', `${PSA_LABELS[psa]} did not accept these credentials: ${reason}`);

/** The PSA accepted the credentials, but its API user lacks rights the integration needs: each one named. */
export const permissionsMissing = (psa: PsaKind, missing: readonly { detail: string }[]) =>
  new RuleViolation(
    'psa_permission_missing',
    `${PSA_LABELS[psa]} accepted the credentials, but the API user lacks ${missing.length === 1 ? 'a right' : 'rights'} the integration needs: ${missing.map((m) => m.detail).join('; ')}`,
  );

/** Why seat sync does not run for this connection, or null when it does (the PSA's seat-sync switch). */
export function seatSyncSwitchedOff(psa: PsaKind, ticketSettings: MappingValues | null): string | null {
  const field = capabilitiesOf(psa).seatSyncSwitch;
  if (field === null || ticketSettings?.[field] !== 'false') return null;
  return `seat sync is switched off in the ${PSA_LABELS[psa]} integration configuration`;
}

/** The one sentence a connection carries when the PSA refuses its credentials (it becomes Unhealthy). */
export function unhealthyReason(psa: PsaKind, refusal: { message: string; accountDisabled: boolean }): string {
  const vendor = PSA_LABELS[psa];
  return refusal.accountDisabled ? `The ${vendor} API user is locked or inactive (${refusal.message})` : `${vendor} rejected the stored credentials (${refusal.message})`;
}
