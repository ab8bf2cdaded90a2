/**
 * The platform's directory as psa-sync reads it: partners and their hierarchy, users and their
 * roles, plans (own or assigned by a master reseller) and organizations. The platform writes it.
 */
import type { Db } from '../connect';
import type { User } from '../schema';

/** The target partner followed by its ancestors; empty when it does not exist. */
export async function partnerChain(db: Db, partnerId: string): Promise<string[]> {
  const chain: string[] = [];
  let current: string | null = partnerId;
  while (current && chain.length < 10 && !chain.includes(current)) {
    const row: { id: string; parentId: string | null } | undefined = await db.selectFrom('partners').select(['id', 'parentId']).where('id', '=', current).where('deletedAt', 'is', null).executeTakeFirst();
    if (!row) break;
    chain.push(row.id);
    current = row.parentId;
  }
  return chain;
}

export async function partnerExists(db: Db, partnerId: string): Promise<boolean> {
  return (await db.selectFrom('partners').select('id').where('id', '=', partnerId).where('deletedAt', 'is', null).executeTakeFirst()) !== undefined;
}

/**
 * A portal user, as authentication needs them: read on every request, so a user the platform
 * deactivated, deleted or demoted (or whose partner it deleted) is refused on the next one.
 */
export async function findUser(db: Db, userId: string): Promise<Pick<User, 'id' | 'partnerId' | 'role'> | undefined> {
  return db
    .selectFrom('users')
    .innerJoin('partners', 'partners.id', 'users.partnerId')
    .select(['users.id', 'users.partnerId', 'users.role'])
    .where('users.id', '=', userId)
    .where('users.active', '=', true)
    .where('partners.deletedAt', 'is', null)
    .executeTakeFirst();
}

/** A plan the partner may map: its own, or one its master reseller assigned to it. */
export async function mappablePlan(db: Db, partnerId: string, planId: string) {
  return db
    .selectFrom('plans')
    .select(['id', 'name', 'partnerId'])
    .where('id', '=', planId)
    .where('deletedAt', 'is', null)
    .where((eb) =>
      eb.or([
        eb('partnerId', '=', partnerId),
        eb.exists(eb.selectFrom('planAssignments').select('planId').where('planAssignments.planId', '=', planId).where('planAssignments.partnerId', '=', partnerId)),
      ]),
    )
    .executeTakeFirst();
}

export async function partnerOrganization(db: Db, partnerId: string, organizationId: string) {
  return db
    .selectFrom('organizations')
    .innerJoin('plans', 'plans.id', 'organizations.planId')
    .select(['organizations.id', 'organizations.name', 'organizations.planId', 'organizations.status', 'plans.name as planName'])
    .where('organizations.id', '=', organizationId)
    .where('organizations.partnerId', '=', partnerId)
    .executeTakeFirst();
}
