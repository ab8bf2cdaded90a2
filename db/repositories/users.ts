/** Platform users as the API authenticates them. */
import type { Kysely } from 'kysely';
import type { Database, UserRole } from '../schema';

export interface UserIdentity {
  id: string;
  partnerId: string;
  role: UserRole;
}

export async function findUser(db: Kysely<Database>, userId: string): Promise<UserIdentity | undefined> {
  return db.selectFrom('users').select(['id', 'partnerId', 'role']).where('id', '=', userId).executeTakeFirst();
}
