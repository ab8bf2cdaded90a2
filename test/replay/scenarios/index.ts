/** Named workflow runs whose histories the replay tier keeps; add one per workflow shape worth guarding. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Db } from '../../../db/connect';
import { systemCheckScenario } from './system-check';
import { connectionHealthScenario, reconcileScenario } from './reconcile';

export interface ScenarioContext {
  client: Client;
  db: Db;
  taskQueue: string;
}

export type Scenario = (ctx: ScenarioContext) => Promise<WorkflowHandle>;

export const scenarios: Record<string, Scenario> = {
  'system-check': systemCheckScenario,
  reconcile: reconcileScenario,
  'connection-health': connectionHealthScenario,
};
