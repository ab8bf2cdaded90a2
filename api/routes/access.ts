/**
 * Who may manage a partner's integrations: Owner, Super Admin or Admin of the partner or of an
 * ancestor in the reseller tree. Anyone else (another tenant included) gets 404, as for an id that
 * does not exist, so ids of other tenants cannot be probed.
 */
import type { Db } from '../../db/connect';
import { partnerChain } from '../../db/repositories/directory';
import { assertIntegrationAccess } from '../../domain/access';
import type { AuthUser } from '../http';

/** Checks the signed-in user against the partner's chain; returns the user id to record as actor. */
export function integrationAuthorizer(db: Db) {
  return async (user: AuthUser | null, partnerId: string): Promise<string> => {
    const actor = user as AuthUser;
    assertIntegrationAccess({ userId: actor.id, partnerId: actor.partnerId, role: actor.role }, await partnerChain(db, partnerId));
    return actor.id;
  };
}
