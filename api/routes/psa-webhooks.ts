/**
 * Ticket events from the PSAs (`POST /v1/psa-webhooks/:connectionId`, the URL given to the PSA
 * when subscribing). Each vendor authenticates its calls its own way (psa/<vendor>/webhook.ts);
 * a verified event by someone else about one of our open tickets marks the ticket's row as worked
 * on by others, and one that closes the ticket (or does not say) is signalled to that ticket's
 * workflow, which re-reads the ticket when the event does not say. Unknown tickets, and HaloPSA
 * events about our own actions, are acknowledged and ignored, so the PSA does not retry them.
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { route, Unauthenticated, type RouteDef } from '../http';
import { NotFound } from '../../domain/errors';
import { PsaAuthError } from '../../psa/core/errors';
import type { PsaKind } from '../../psa/core/types';
import { verifyConnectWiseCallback } from '../../psa/connectwise/webhook';
import { verifyHaloPsaWebhook } from '../../psa/halopsa/webhook';
import { verifyAutotaskWebhook } from '../../psa/autotask/webhook';
import { credentialsAad } from '../../activities/psa-connections';
import { ticketWebhookSecret } from '../../activities/tickets-webhooks';
import { psaTicketChangedSignal, serviceTicketWorkflowId } from '../../workflows/ticket-messages';

interface VerifiedEvent {
  ticketId: string;
  closed?: boolean;
  /** HaloPSA: the agent whose action this is (Halo also calls us for our own changes). */
  actorAgentId?: string;
}

type Headers = Record<string, string | string[] | undefined>;

const siteOrigin = (raw: string) => (/^https?:\/\//i.test(raw) ? raw : `https://${raw}`);

export function psaWebhookRoutes(deps: ApiDeps): RouteDef[] {
  async function verify(psa: PsaKind, connectionId: string, sealed: Buffer, rawBody: string, headers: Headers): Promise<VerifiedEvent> {
    const secret = ticketWebhookSecret(deps.keys, connectionId, sealed);
    switch (psa) {
      case 'halopsa':
        return verifyHaloPsaWebhook(rawBody, headers, secret);
      case 'autotask':
        return verifyAutotaskWebhook(rawBody, headers, secret);
      case 'connectwise': {
        // ConnectWise signs with its own key (fetched from the connection's site), not our secret.
        const creds = deps.keys.openJson<{ siteUrl: string; companyId: string }>(sealed, credentialsAad(connectionId));
        return verifyConnectWiseCallback(rawBody, headers, { siteUrl: siteOrigin(creds.siteUrl), companyId: creds.companyId, ...(deps.psa.ca ? { ca: deps.psa.ca } : {}) });
      }
    }
  }

  return [
    route({
      method: 'POST',
      path: '/v1/psa-webhooks/:connectionId',
      summary: 'Ticket events from a PSA (vendor-authenticated)',
      tags: ['webhooks'],
      auth: 'none',
      params: z.object({ connectionId: z.uuid() }),
      async handler({ params, rawBody, headers }) {
        const connection = await deps.db
          .selectFrom('connections')
          .select(['id', 'psa', 'status', 'credentials', 'site'])
          .where('id', '=', params.connectionId)
          .executeTakeFirst();
        if (!connection || connection.status !== 'connected' || !connection.credentials) throw new NotFound('PSA connection');
        let event: VerifiedEvent;
        try {
          event = await verify(connection.psa, connection.id, connection.credentials, rawBody, headers);
        } catch (err) {
          if (err instanceof PsaAuthError) throw new Unauthenticated('The PSA webhook is not authentic');
          throw err;
        }
        // Our own change coming back (HaloPSA does not suppress them as ConnectWise and Autotask do).
        if (event.actorAgentId !== undefined && event.actorAgentId === connection.site.agentId) return { status: 200, body: { accepted: 0, ownChange: true } };
        // ConnectWise and Autotask never call us about our own changes, and a HaloPSA event naming
        // its agent was not ours (above): a change by someone else, which the row remembers at
        // once, so a close racing this signal needs no read of its own to honour it.
        const byOthers = connection.psa !== 'halopsa' || event.actorAgentId !== undefined;
        // An event that says the ticket is still open gives the run nothing to do (it acts on
        // closes, or re-reads when the event does not say); only the row's mark matters.
        const signalRun = event.closed !== false;
        if (!byOthers && !signalRun) return { status: 200, body: { accepted: 0 } };
        const open = { connectionId: connection.id, psaTicketId: event.ticketId, state: 'open' as const };
        const tickets = byOthers
          ? await deps.db
              .updateTable('tickets')
              .set({ touchedByOthers: true, updatedAt: new Date() })
              .where((eb) => eb.and(open))
              .returning(['organizationId', 'problem', 'psaTicketId'])
              .execute()
          : await deps.db.selectFrom('tickets').select(['organizationId', 'problem', 'psaTicketId']).where((eb) => eb.and(open)).execute();
        for (const t of signalRun ? tickets : []) {
          const handle = deps.temporal.workflow.getHandle(serviceTicketWorkflowId(t.organizationId, t.problem));
          await handle
            .signal(psaTicketChangedSignal, { psaTicketId: t.psaTicketId, ...(event.closed === undefined ? {} : { closed: event.closed }) })
            .catch((err: unknown) => {
              // The run already ended (e.g. we closed the ticket in the meantime): nothing to tell.
              if (!(err instanceof Error && err.name === 'WorkflowNotFoundError')) throw err;
            });
        }
        return { status: 200, body: { accepted: tickets.length } };
      },
    }),
  ];
}
