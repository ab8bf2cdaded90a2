/** The worker's workflow bundle entry: every workflow type psa-sync runs. */
export { systemCheckWorkflow } from './system-check';
export { serviceTicketWorkflow } from './service-ticket';
export { seatSyncWorkflow } from './seat-sync';
export { integrationWorkflow } from './integration';
export { reconcileWorkflow, connectionHealthWorkflow } from './reconcile';
export { deviceSyncWorkflow, deviceSchedulePassWorkflow } from './device-sync';
export { organizationImportWorkflow } from './org-import';
