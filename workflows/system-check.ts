import { proxyActivities } from '@temporalio/workflow';
import type { createSystemActivities } from '../activities/system';
import { dbActivity } from './options';

const { recordSystemCheck } = proxyActivities<ReturnType<typeof createSystemActivities>>(dbActivity);

/** Proves the whole path works: client → Temporal → worker → PostgreSQL → back to the caller. */
export async function systemCheckWorkflow(requestedBy: string) {
  return recordSystemCheck(requestedBy);
}
