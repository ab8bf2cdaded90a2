import type { UserRole } from '../../../db/schema';
import { AccessDenied, NotFound } from '../../../domain/errors';
import { assertIntegrationAccess, decideIntegrationAccess } from '../../../domain/access';

const ROLES: UserRole[] = ['owner', 'super_admin', 'admin', 'technician', 'billing', 'read_only'];
const MASTER = 'm';
const SUB = 's';
const DIRECT = 'd';
const chainOf: Record<string, string[]> = { [MASTER]: [MASTER], [SUB]: [SUB, MASTER], [DIRECT]: [DIRECT] };

describe('who manages integrations', () => {
  test.each(ROLES)('%s of the partner itself', (role) => {
    const expected = ['owner', 'super_admin', 'admin'].includes(role) ? 'allowed' : 'forbidden';
    for (const p of [MASTER, SUB, DIRECT]) expect(decideIntegrationAccess({ userId: 'u', partnerId: p, role }, chainOf[p] as string[])).toBe(expected);
  });

  test('a master reseller manages its sub-resellers, not the other way round', () => {
    expect(decideIntegrationAccess({ userId: 'u', partnerId: MASTER, role: 'admin' }, chainOf[SUB] as string[])).toBe('allowed');
    expect(decideIntegrationAccess({ userId: 'u', partnerId: SUB, role: 'owner' }, chainOf[MASTER] as string[])).toBe('not_found');
  });

  test('other tenants are not found, whatever the role (existence never leaks)', () => {
    for (const role of ROLES) {
      expect(() => assertIntegrationAccess({ userId: 'u', partnerId: DIRECT, role }, chainOf[MASTER] as string[])).toThrow(NotFound);
    }
    expect(() => assertIntegrationAccess({ userId: 'u', partnerId: DIRECT, role: 'admin' }, [])).toThrow(NotFound);
    expect(() => assertIntegrationAccess({ userId: 'u', partnerId: DIRECT, role: 'billing' }, chainOf[DIRECT] as string[])).toThrow(AccessDenied);
  });
});
