/**
 * Bundles the workflows into the file named by argv[2] and exits. The worker runs this as a
 * child process when no WORKFLOW_BUNDLE_PATH is given: webpack's memory (well over 100 MB while it
 * runs) then leaves with the child instead of staying in the worker's resident set.
 */
import fs from 'node:fs';
import { bundleWorkflows } from './create-worker';

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: bundle-child <output file>');
  const { code } = await bundleWorkflows();
  fs.writeFileSync(out, code);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
