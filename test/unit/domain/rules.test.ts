import type { FieldSpec } from '../../../psa/core/types';
import { InvalidInput, RuleViolation } from '../../../domain/errors';
import {
  assertMappingShape,
  assertOrganizationFree,
  assertPlanMappedFirst,
  assertPlansMappedIn,
  assertPlanUnlinkable,
  mappingShapeIssues,
  parentsOf,
  picklistFieldsInOrder,
} from '../../../domain/rules';

const spec = (name: string, dependsOn: string[] = [], type: FieldSpec['type'] = 'picklist'): FieldSpec => ({ name, label: name.toUpperCase(), dependsOn, type });
const halo = [spec('syncSeatQuantity', [], 'boolean'), spec('ticketType'), spec('priority', ['sla']), spec('sla')];

function violation(fn: () => void): RuleViolation {
  try {
    fn();
  } catch (err) {
    if (err instanceof RuleViolation) return err;
    throw err;
  }
  throw new Error('expected a RuleViolation');
}

describe('mapping form shape', () => {
  test('every field is required: one issue per blank field, keyed values.<field>', () => {
    const issues = mappingShapeIssues(halo, { ticketType: '1', sla: ' ' });
    expect(issues.map((i) => i.field).sort()).toEqual(['values.priority', 'values.sla', 'values.syncSeatQuantity']);
    expect(issues.find((i) => i.field === 'values.sla')?.message).toBe('SLA is required');
  });

  test('boolean fields take only true/false, unknown fields are refused', () => {
    const issues = mappingShapeIssues(halo, { syncSeatQuantity: 'yes', ticketType: '1', sla: '2', priority: '3', partnerId: 'x' });
    expect(issues).toEqual([
      { field: 'values.syncSeatQuantity', message: "SYNCSEATQUANTITY must be 'true' or 'false'" },
      { field: 'values.partnerId', message: 'partnerId is not a field of this form' },
    ]);
    expect(() => assertMappingShape(halo, {})).toThrow(InvalidInput);
    expect(() => assertMappingShape(halo, { syncSeatQuantity: 'false', ticketType: '1', sla: '2', priority: '3' })).not.toThrow();
  });

  test('parents are looked up before children, and only chosen parents are passed', () => {
    expect(picklistFieldsInOrder(halo).map((s) => s.name)).toEqual(['ticketType', 'sla', 'priority']);
    expect(parentsOf(spec('priority', ['sla']), { sla: '4', ticketType: '1' })).toEqual({ sla: '4' });
  });
});

describe('vendor rules', () => {
  test('HaloPSA has no plan mapping; ConnectWise and Autotask do', () => {
    expect(violation(() => assertPlansMappedIn('halopsa')).code).toBe('plan_mapping_not_supported');
    expect(() => assertPlansMappedIn('autotask')).not.toThrow();
    expect(() => assertPlansMappedIn('connectwise')).not.toThrow();
  });

  test('an organization maps to one PSA at a time; editing on the same PSA is allowed', () => {
    const v = violation(() => assertOrganizationFree('Contoso', 'autotask', 'connectwise', false));
    expect(v.code).toBe('organization_mapped_elsewhere');
    expect(v.message).toMatch(/^Contoso is mapped to Autotask — unlink it there first/);
    expect(() => assertOrganizationFree('Contoso', 'autotask', 'autotask', true)).not.toThrow();
    expect(() => assertOrganizationFree('Contoso', null, 'halopsa', false)).not.toThrow();
  });

  test('organizations need their plan mapped first on ConnectWise and Autotask, not on HaloPSA', () => {
    expect(violation(() => assertPlanMappedFirst('autotask', 'Contoso', 'Gold', false)).code).toBe('plan_not_mapped');
    expect(violation(() => assertPlanMappedFirst('connectwise', 'Contoso', 'Gold', false)).message).toContain('"Gold"');
    expect(() => assertPlanMappedFirst('halopsa', 'Contoso', 'Gold', false)).not.toThrow();
    expect(() => assertPlanMappedFirst('autotask', 'Contoso', 'Gold', true)).not.toThrow();
  });

  test('a plan with mapped organizations cannot be unlinked', () => {
    expect(violation(() => assertPlanUnlinkable('autotask', 'Gold', 2)).code).toBe('plan_has_mapped_organizations');
    expect(() => assertPlanUnlinkable('autotask', 'Gold', 0)).not.toThrow();
  });
});
