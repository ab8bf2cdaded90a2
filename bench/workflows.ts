/**
 * The benchmark worker's workflow bundle entry: every production workflow (workflows/index.ts)
 * and the yardsticks, so lifecycles and baselines run on the same worker. The production
 * bundle does not carry the yardsticks.
 */
export * from '../workflows';
export { ticketBaselineWorkflow, ticketLocalBaselineWorkflow, ticketShapeBaselineWorkflow } from './baseline-workflows';
