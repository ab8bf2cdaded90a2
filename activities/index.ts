/** Builds every activity from injected dependencies; the worker registers the result. */
import type { ActivityDeps } from './deps';
import { createSystemActivities } from './system';
import { createTicketActivities } from './tickets';
import { createAlertActivities } from './alerts';
import { createPlatformCallbackActivities } from './platform-callback';
import { createSeatActivities } from './seats';
import { createLifecycleActivities } from './lifecycle';
import { createReconcileActivities } from './reconcile';
import { createHealthCheckActivities } from './health-check';
import { createDeviceActivities } from './devices';
import { createOrgImportActivities } from './org-import';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSystemActivities(deps),
    ...createSeatActivities(deps),
    ...createTicketActivities(deps),
    ...createAlertActivities(deps),
    ...createPlatformCallbackActivities(deps),
    ...createLifecycleActivities(deps),
    ...createReconcileActivities(deps),
    ...createHealthCheckActivities(deps),
    ...createDeviceActivities(deps),
    ...createOrgImportActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
