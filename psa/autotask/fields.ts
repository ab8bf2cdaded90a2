import type { FieldSpec, MappingKind } from '../core/types';

const f = (name: string, label: string, dependsOn: string[] = []): FieldSpec => ({ name, label, dependsOn, type: 'picklist' });

/** The three mapping forms as the portal shows them for Autotask. */
export const AUTOTASK_FIELDS: Readonly<Record<MappingKind, readonly FieldSpec[]>> = {
  ticket: [
    f('queue', 'Queue'),
    f('status', 'Status'),
    f('closedStatus', 'Closed status'),
    f('priority', 'Priority'),
    f('issueType', 'Issue type'),
    f('subIssueType', 'Sub-issue type', ['issueType']),
    f('sla', 'Service level agreement'),
  ],
  plan: [f('service', 'Service')],
  organization: [f('company', 'Company'), f('contract', 'Contract', ['company']), f('contractService', 'Contract service', ['contract'])],
};

/** Ticket-mapping field → the Tickets picklist field that backs it. */
export const TICKET_PICKLIST: Record<string, string> = {
  queue: 'queueID',
  status: 'status',
  closedStatus: 'status',
  priority: 'priority',
  issueType: 'issueType',
  subIssueType: 'subIssueType',
  sla: 'serviceLevelAgreementID',
};
