/**
 * What a ticket event from a PSA reads and marks: the connection it was sent for, and our open
 * tickets with that PSA ticket id (marked as worked on by someone else when the event says so).
 */
import type { Kysely } from 'kysely';
import type { Connection, Database } from '../schema';

export type TicketEventConnection = Pick<Connection, 'id' | 'psa' | 'status' | 'credentials' | 'site'>;

export async function connectionForTicketEvents(db: Kysely<Database>, connectionId: string): Promise<TicketEventConnection | undefined> {
  return db.selectFrom('connections').select(['id', 'psa', 'status', 'credentials', 'site']).where('id', '=', connectionId).executeTakeFirst();
}

export interface OpenTicketRef {
  organizationId: string;
  problem: string;
  psaTicketId: string;
}

const openTicket = (connectionId: string, psaTicketId: string) => ({ connectionId, psaTicketId, state: 'open' as const });

/** Marks our open tickets with this PSA id as touched by others (the mark never goes back) and returns them. */
export async function markTouchedByOthers(db: Kysely<Database>, connectionId: string, psaTicketId: string): Promise<OpenTicketRef[]> {
  return db
    .updateTable('tickets')
    .set({ touchedByOthers: true, updatedAt: new Date() })
    .where((eb) => eb.and(openTicket(connectionId, psaTicketId)))
    .returning(['organizationId', 'problem', 'psaTicketId'])
    .execute();
}

export async function openTicketsWith(db: Kysely<Database>, connectionId: string, psaTicketId: string): Promise<OpenTicketRef[]> {
  return db.selectFrom('tickets').select(['organizationId', 'problem', 'psaTicketId']).where((eb) => eb.and(openTicket(connectionId, psaTicketId))).execute();
}
