/** Tenants for tests: a master reseller with a sub-reseller, a direct reseller, users of every role, plans and organizations. */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect';
import type { PartnerKind, UserRole } from '../../db/schema';

export interface SeededPartner {
  id: string;
  users: Record<UserRole, string>;
  planId: string;
  organizationIds: string[];
}

export interface SeededTenants {
  master: SeededPartner;
  sub: SeededPartner;
  direct: SeededPartner;
  /** A plan of the master reseller assigned to the sub-reseller. */
  assignedPlanId: string;
}

const ROLES: UserRole[] = ['owner', 'super_admin', 'admin', 'technician', 'billing', 'read_only'];

async function partner(db: Db, kind: PartnerKind, parentId: string | null, orgs: number, seats: number): Promise<SeededPartner> {
  const tag = randomUUID().slice(0, 8);
  const { id } = await db.insertInto('partners').values({ name: `${kind} ${tag}`, kind, parentId }).returning('id').executeTakeFirstOrThrow();
  const users = {} as Record<UserRole, string>;
  for (const role of ROLES) {
    users[role] = (await db.insertInto('users').values({ partnerId: id, email: `${role}.${tag}@example.test`, role }).returning('id').executeTakeFirstOrThrow()).id;
  }
  const planId = (await db.insertInto('plans').values({ partnerId: id, name: `Backup plan ${tag}` }).returning('id').executeTakeFirstOrThrow()).id;
  const organizationIds: string[] = [];
  for (let i = 0; i < orgs; i += 1) {
    organizationIds.push(
      (await db.insertInto('organizations').values({ partnerId: id, planId, name: `Customer ${i + 1} of ${tag}`, seatCount: seats + i }).returning('id').executeTakeFirstOrThrow()).id,
    );
  }
  return { id, users, planId, organizationIds };
}

export async function seedTenants(db: Db, options: { organizationsPerPartner?: number; seats?: number } = {}): Promise<SeededTenants> {
  const n = options.organizationsPerPartner ?? 3;
  const seats = options.seats ?? 10;
  const master = await partner(db, 'master_reseller', null, n, seats);
  const sub = await partner(db, 'sub_reseller', master.id, n, seats);
  const direct = await partner(db, 'direct_reseller', null, n, seats);
  const assignedPlanId = (await db.insertInto('plans').values({ partnerId: master.id, name: 'Assigned plan' }).returning('id').executeTakeFirstOrThrow()).id;
  await db.insertInto('planAssignments').values({ planId: assignedPlanId, partnerId: sub.id }).execute();
  return { master, sub, direct, assignedPlanId };
}
