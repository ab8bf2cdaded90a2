/**
 * The three mapping forms for HaloPSA. Ticket fields are Halo's "integration configuration"
 * (sync seat quantity, ticket type, SLA, priority) plus the statuses the engine needs to open and
 * close tickets. Plans are not mapped in HaloPSA; organizations map to Customer + Software Licence.
 */
import type { FieldSpec, MappingKind } from '../core/types';

export const HALO_FIELDS: Readonly<Record<MappingKind, readonly FieldSpec[]>> = {
  ticket: [
    { name: 'syncSeatQuantity', label: 'Sync seat quantity to PSA', dependsOn: [], type: 'boolean' },
    { name: 'ticketType', label: 'Ticket Type', dependsOn: [], type: 'picklist' },
    { name: 'sla', label: 'Ticket SLA', dependsOn: [], type: 'picklist' },
    // A ticket's priority_id is the priority *within* its SLA, so only that SLA's rows are valid.
    { name: 'priority', label: 'Ticket Priority', dependsOn: ['sla'], type: 'picklist' },
    { name: 'status', label: 'Status for New Tickets', dependsOn: [], type: 'picklist' },
    { name: 'closedStatus', label: 'Closed Status', dependsOn: [], type: 'picklist' },
  ],
  plan: [],
  organization: [
    { name: 'customer', label: 'Customer', dependsOn: [], type: 'picklist' },
    { name: 'softwareLicence', label: 'Software Licence', dependsOn: ['customer'], type: 'picklist' },
  ],
};

export const TICKET_FIELD_NAMES = HALO_FIELDS.ticket.map((f) => f.name);
