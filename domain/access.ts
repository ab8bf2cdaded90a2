/**
 * Who may manage a partner's integrations ("Master reseller, direct reseller, and sub-reseller
 * with Owner, Super Admin, and Admin roles"): a user whose partner is the target partner or one
 * of its ancestors (a master reseller manages its sub-resellers), with a managing role.
 * A partner outside the user's tree is reported as not found — never forbidden — so ids of
 * other tenants reveal nothing.
 */
import type { UserRole } from '../db/schema';
import { AccessDenied, NotFound } from './errors';

export const INTEGRATION_MANAGER_ROLES: readonly UserRole[] = ['owner', 'super_admin', 'admin'];

export interface Actor {
  userId: string;
  partnerId: string;
  role: UserRole;
}

/**
 * @param targetChain the target partner followed by its ancestors (parent, grandparent…);
 *   empty when the target does not exist.
 */
export function decideIntegrationAccess(actor: Actor, targetChain: readonly string[]): 'allowed' | 'not_found' | 'forbidden' {
  if (!targetChain.includes(actor.partnerId)) return 'not_found';
  return INTEGRATION_MANAGER_ROLES.includes(actor.role) ? 'allowed' : 'forbidden';
}

export function assertIntegrationAccess(actor: Actor, targetChain: readonly string[]): void {
  const decision = decideIntegrationAccess(actor, targetChain);
  if (decision === 'not_found') throw new NotFound('Partner');
  if (decision === 'forbidden') throw new AccessDenied('Only Owner, Super Admin and Admin users can manage integrations');
}
