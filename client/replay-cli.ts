/**
 * `npm run replay -- <workflow-id>` or `npm run replay -- --query '<visibility query>' [--since 24h] [--dry-run]`:
 * runs failed syncs again, one command for support. Examples:
 *   npm run replay -- ticket/6f1c…/backup_failed
 *   npm run replay -- --query 'PsaVendor = "autotask"' --since 24
 */
import { ConfigError, loadConfig } from '../config/env';
import { keyRingFrom } from '../infra/runtime';
import { createDataConverter } from '../security/data-converter';
import { createTemporalClient } from './temporal';
import { NothingToReplayError, replayFailedRuns, type ReplayRequest } from './replay';

function parseArgs(argv: string[]): ReplayRequest {
  const req: ReplayRequest = {};
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '--query') req.query = argv[++i];
    else if (a === '--since') req.sinceHours = Number(String(argv[++i]).replace(/h$/, ''));
    else if (a === '--dry-run') req.dryRun = true;
    else if (a === '--limit') req.limit = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run replay -- <workflow-id> | --query "<visibility query>" [--since <hours>] [--limit N] [--dry-run]');
      process.exit(0);
    } else if (!a.startsWith('--') && !req.workflowId) req.workflowId = a;
    else throw new ConfigError([`unknown argument ${a}`]);
  }
  if (!req.workflowId && !req.query) throw new ConfigError(['name a workflow id or pass --query (see --help)']);
  if (req.sinceHours !== undefined && !(req.sinceHours > 0)) throw new ConfigError(['--since takes a number of hours']);
  return req;
}

async function main(): Promise<void> {
  const request = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  const keys = keyRingFrom(config);
  const client = await createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, keys });
  try {
    const runs = await replayFailedRuns(client, createDataConverter(keys), request, (line) => console.log(line));
    console.log(`${runs.length} run(s) ${request.dryRun ? 'would be ' : ''}restarted`);
  } finally {
    await client.connection.close();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError || err instanceof NothingToReplayError ? err.message : err);
  process.exit(1);
});
