/**
 * What happened to each alert, written onto its `alerts` row (outcome, reason, ticket) so the
 * platform and ops can see every alert's fate without reading workflow history.
 */
import type { ActivityDeps } from './deps';
import { recordAlertOutcome, type AlertOutcomeRecord } from '../db/repositories/alerts';

export type { AlertOutcomeRecord } from '../db/repositories/alerts';

export function createAlertActivities({ db }: ActivityDeps) {
  return {
    recordAlertOutcome: (rec: AlertOutcomeRecord): Promise<void> => recordAlertOutcome(db, rec),
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;
