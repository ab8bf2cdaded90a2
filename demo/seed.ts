/** The demo's tenant: a master reseller with an owner, a plan and two organizations. */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/connect';

export interface DemoTenant {
  partnerId: string;
  ownerId: string;
  planId: string;
  organizations: { id: string; name: string }[];
}

export async function seedDemoTenant(db: Db): Promise<DemoTenant> {
  const tag = randomUUID().slice(0, 6);
  const { id: partnerId } = await db.insertInto('partners').values({ name: `Demo MSP ${tag}`, kind: 'master_reseller', parentId: null }).returning('id').executeTakeFirstOrThrow();
  const { id: ownerId } = await db.insertInto('users').values({ partnerId, email: `owner.${tag}@demo.test`, role: 'owner' }).returning('id').executeTakeFirstOrThrow();
  const { id: planId } = await db.insertInto('plans').values({ partnerId, name: 'M365 Backup Standard' }).returning('id').executeTakeFirstOrThrow();
  const organizations: DemoTenant['organizations'] = [];
  for (const [name, seatCount] of [['Northwind Dental', 25], ['Contoso Legal', 40]] as const) {
    const { id } = await db.insertInto('organizations').values({ partnerId, planId, name, seatCount }).returning('id').executeTakeFirstOrThrow();
    organizations.push({ id, name });
  }
  return { partnerId, ownerId, planId, organizations };
}
