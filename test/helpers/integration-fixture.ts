/**
 * A connected integration written straight into PostgreSQL, as the lifecycle workflow leaves it:
 * a `connections` row (connected, healthy, credentials sealed for a running simulator), the
 * ticket mapping, the plan mapping and organization mappings with the simulator's seeded valid
 * values. Ticket tests depend only on these rows, not on the lifecycle's code.
 * Also: vendor-neutral controls of the simulators (what a technician does in the PSA UI).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect';
import type { KeyRing } from '../../security/crypto';
import type { MappingValues, PsaKind } from '../../psa/core/types';
import { sealCredentials } from '../../security/credentials';
import * as cw from '../../sims/connectwise';
import * as halo from '../../sims/halopsa';
import * as at from '../../sims/autotask';
import type { Sims } from './stack';

export interface IntegrationFixture {
  connectionId: string;
  psa: PsaKind;
  ticketMapping: MappingValues;
  organization: MappingValues;
}

export function simCredentials(psa: PsaKind, sims: Sims): Record<string, string> {
  switch (psa) {
    case 'connectwise':
      return {
        siteUrl: sims.connectwise.host,
        companyId: cw.SEED_CREDENTIALS.companyId,
        publicKey: cw.SEED_CREDENTIALS.publicKey,
        privateKey: cw.SEED_CREDENTIALS.privateKey,
        clientId: cw.SEED_CREDENTIALS.clientId,
      };
    case 'halopsa':
      return { siteUrl: sims.halopsa.url, clientId: halo.SEED_CREDENTIALS.clientId, clientSecret: halo.SEED_CREDENTIALS.clientSecret };
    case 'autotask':
      return { ...at.SEED_CREDENTIALS };
  }
}

export function simFixtures(psa: PsaKind): { ticketMapping: MappingValues; planMapping: MappingValues; organization: MappingValues } {
  const f = psa === 'connectwise' ? cw.SEED_FIXTURES : psa === 'halopsa' ? halo.SEED_FIXTURES : at.SEED_FIXTURES;
  return {
    ticketMapping: { ...f.ticketMapping },
    planMapping: 'planMapping' in f ? { ...(f.planMapping as MappingValues) } : {},
    organization: { ...f.organization },
  };
}

export interface ConnectOptions {
  partnerId: string;
  psa: PsaKind;
  /** Organizations of the partner to map to this PSA (their plan gets mapped too). */
  organizationIds: string[];
  /** false: connected without ticket mapping (it is optional). */
  withTicketMapping?: boolean;
  health?: 'healthy' | 'unhealthy';
}

export async function connectIntegration(db: Db, keys: KeyRing, sims: Sims, opts: ConnectOptions): Promise<IntegrationFixture> {
  const id = randomUUID();
  const fx = simFixtures(opts.psa);
  await db
    .insertInto('connections')
    .values({
      id,
      partnerId: opts.partnerId,
      psa: opts.psa,
      status: 'connected',
      health: opts.health ?? 'healthy',
      healthReason: opts.health === 'unhealthy' ? 'The API user is locked or inactive' : null,
      // What the connect flow stores from the PSA's answer (HaloPSA: our agent, to tell our own webhook events).
      site: JSON.stringify(opts.psa === 'halopsa' ? { siteUrl: sims.halopsa.url, agentId: String(halo.API_AGENT_ID) } : {}),
      ...sealCredentials(keys, id, simCredentials(opts.psa, sims)),
      connectedAt: new Date(),
    })
    .execute();
  if (opts.withTicketMapping !== false) {
    await db.insertInto('ticketMappings').values({ connectionId: id, settings: JSON.stringify(fx.ticketMapping) }).execute();
  }
  const orgs = opts.organizationIds.length
    ? await db.selectFrom('organizations').select(['id', 'planId']).where('id', 'in', opts.organizationIds).execute()
    : [];
  if (opts.psa !== 'halopsa') {
    for (const planId of new Set(orgs.map((o) => o.planId))) {
      await db
        .insertInto('planMappings')
        .values({ planId, connectionId: id, psa: opts.psa, values: JSON.stringify(fx.planMapping) })
        .onConflict((oc) => oc.columns(['planId', 'connectionId']).doNothing())
        .execute();
    }
  }
  for (const org of orgs) {
    await db.insertInto('organizationMappings').values({ organizationId: org.id, connectionId: id, psa: opts.psa, values: JSON.stringify(fx.organization) }).execute();
  }
  return { connectionId: id, psa: opts.psa, ticketMapping: fx.ticketMapping, organization: fx.organization };
}

/** Creates `count` extra organizations for a partner (burst tests need many). */
export async function addOrganizations(db: Db, partnerId: string, planId: string, count: number, label = 'Org'): Promise<string[]> {
  const rows = await db
    .insertInto('organizations')
    .values(Array.from({ length: count }, (_, i) => ({ partnerId, planId, name: `${label} ${i + 1}`, seatCount: 5 })))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** What a technician does in each PSA's UI, and what the PSA holds. */
export interface SimControls {
  ticketsWithMarker(marker: string): number;
  /** A technician's note; resolves once the PSA's webhooks about it are delivered. */
  technicianTouches(psaTicketId: string): Promise<void>;
  /** Closes the ticket in the PSA (fires the vendor's webhook when subscribed). */
  closeInPsa(psaTicketId: string): Promise<void>;
  isClosed(psaTicketId: string): boolean;
  /** Notes (HaloPSA: actions) on the ticket whose text contains `text`. */
  notesContaining(psaTicketId: string, text: string): number;
}

export function simControls(psa: PsaKind, sims: Sims): SimControls {
  switch (psa) {
    case 'connectwise': {
      const s = sims.connectwise.state;
      return {
        ticketsWithMarker: (m) => s.ticketsWithMarker(m),
        technicianTouches: async (id) => {
          s.technicianNote(Number(id));
          await s.dispatcher.flush();
        },
        closeInPsa: (id) => s.technicianClose(Number(id)),
        isClosed: (id) => s.ticket(Number(id)).closedFlag === true,
        notesContaining: (id, text) => s.data.notes.filter((n) => n.ticketId === Number(id) && n.text.includes(text)).length,
      };
    }
    case 'halopsa': {
      const s = sims.halopsa.state;
      return {
        ticketsWithMarker: (m) => s.ticketsWithMarker(m).length,
        technicianTouches: async (id) => {
          s.technicianNote(Number(id), 'Checked the backup agent on site.');
          await s.webhooks.flush();
        },
        closeInPsa: async (id) => {
          s.technicianClose(Number(id), Number(halo.SEED_FIXTURES.ticketMapping.closedStatus));
          await s.webhooks.flush();
        },
        isClosed: (id) => s.ticket(Number(id))?.hasbeenclosed === true,
        notesContaining: (id, text) => s.data.actions.filter((a) => a.ticket_id === Number(id) && (a.note_html.includes(text) || a.note.includes(text))).length,
      };
    }
    case 'autotask': {
      const s = sims.autotask.state;
      return {
        ticketsWithMarker: (m) => s.ticketsWithMarker(m),
        technicianTouches: async (id) => {
          s.technicianNote(Number(id));
          await s.flush();
        },
        closeInPsa: (id) => s.technicianClose(Number(id)),
        isClosed: (id) => s.isClosed(Number(id)),
        notesContaining: (id, text) => s.notes.filter((n) => n.ticketID === Number(id) && n.description.includes(text)).length,
      };
    }
  }
}
