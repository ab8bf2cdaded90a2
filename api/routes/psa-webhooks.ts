/**
 * Ticket events from the PSAs (`POST /v1/psa-webhooks/:connectionId`, the URL given to the PSA
 * when subscribing). The connection's adapter factory authenticates the call as its vendor
 * signs it and says what it reports; a verified event by someone else about one of our open
 * tickets marks the ticket's row as worked on by others, and one that closes the ticket (or
 * does not say) is signalled to that ticket's workflow, which re-reads the ticket when the
 * event does not say. Unknown tickets, and events about our own changes, are acknowledged and
 * ignored, so the PSA does not retry them.
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { route, Unauthenticated, type RouteDef } from '../http';
import { InvalidInput, NotFound } from '../../domain/errors';
import { safeText, uuidId } from '../../domain/input';
import { PsaAuthError } from '../../psa/core/errors';
import type { TicketEvent } from '../../psa/core/factory';
import { adapterFactories } from '../../psa/registry';
import { adapterContext } from '../../infra/psa-adapters';
import { credentialsAad, ticketWebhookSecret } from '../../security/credentials';
import { findConnection } from '../../db/repositories/integrations';
import { openTicketsForEvent } from '../../db/repositories/tickets';
import { psaTicketChangedSignal, serviceTicketWorkflowId } from '../../workflows/ticket-messages';

/** A PSA ticket id as we store it. */
const psaTicketId = safeText().min(1).max(100);

export function psaWebhookRoutes(deps: ApiDeps): RouteDef[] {
  return [
    route({
      method: 'POST',
      path: '/v1/psa-webhooks/:connectionId',
      summary: 'Ticket events from a PSA (vendor-authenticated)',
      tags: ['webhooks'],
      auth: 'none',
      params: z.object({ connectionId: uuidId() }).strict(),
      async handler({ params, rawBody, headers }) {
        const connection = await findConnection(deps.db, params.connectionId);
        if (!connection || connection.status !== 'connected' || !connection.credentials) throw new NotFound('PSA connection');
        let event: TicketEvent;
        try {
          event = await adapterFactories[connection.psa].verifyTicketEvent({
            rawBody,
            headers,
            credentials: deps.keys.openJson(connection.credentials, credentialsAad(connection.id)),
            secret: ticketWebhookSecret(deps.keys, connection.id, connection.credentials),
            site: connection.site,
            context: adapterContext(connection.psa, connection.id, deps.psa),
          });
        } catch (err) {
          if (err instanceof PsaAuthError) throw new Unauthenticated('The PSA webhook is not authentic');
          throw err;
        }
        const ticketId = psaTicketId.safeParse(event.ticketId);
        if (!ticketId.success) throw new InvalidInput([{ field: 'ticket id', message: ticketId.error.issues[0]?.message ?? 'is invalid' }]);
        if (event.author === 'us') return { status: 200, body: { accepted: 0, ownChange: true } };
        // A change by someone else, which the row remembers at once, so a close racing this
        // signal needs no read of its own to honour it.
        const byOthers = event.author === 'others';
        // An event that says the ticket is still open gives the run nothing to do (it acts on
        // closes, or re-reads when the event does not say); only the row's mark matters.
        const signalRun = event.closed !== false;
        if (!byOthers && !signalRun) return { status: 200, body: { accepted: 0 } };
        const tickets = await openTicketsForEvent(deps.db, connection.id, ticketId.data, byOthers);
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
