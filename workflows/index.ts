/** The worker's workflow bundle entry: every workflow type psa-sync runs. */
export { systemCheckWorkflow } from './system-check';
