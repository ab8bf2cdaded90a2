/**
 * Runs once per jest invocation: a fresh PostgreSQL database (migrated) and one real Temporal
 * dev server from the pinned CLI binary, both advertised to test files through process.env.
 * The Temporal server is skipped when only the unit/db/replay tiers run.
 */
import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDb, ensureDatabase } from '../../db/connect';
import { migrateToLatest } from '../../db/migrator';
import { temporalCliPath, TemporalCliMissingError } from '../../infra/temporal-dev-server';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import fs from 'node:fs';

/** Projects named after --selectProjects on the jest command line (jest does not pass them to globalSetup). */
function selectedProjects(argv: string[]): string[] | null {
  const i = argv.indexOf('--selectProjects');
  if (i < 0) return null;
  const names: string[] = [];
  for (const a of argv.slice(i + 1)) {
    if (a.startsWith('-')) break;
    names.push(a);
  }
  return names;
}

declare global {
  var __psaTest: { temporal?: TestWorkflowEnvironment; databaseUrl: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = new URL(base);
  url.pathname = `/psa_sync_test_${Date.now()}_${process.pid}`;
  const databaseUrl = url.toString();
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, 1);
  await migrateToLatest(db);
  await db.destroy();
  process.env.DATABASE_URL = databaseUrl;
  process.env.ENCRYPTION_KEYS = `test:${randomBytes(32).toString('base64')}`;
  globalThis.__psaTest = { databaseUrl };

  const projects = selectedProjects(process.argv);
  const needsTemporal = !projects || projects.includes('workflow') || projects.includes('badinput');
  if (!needsTemporal) return;
  const cli = temporalCliPath();
  if (!fs.existsSync(cli)) throw new TemporalCliMissingError(cli);
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      // Never let the SDK download a server: use the binary scripts/setup-temporal.sh built.
      executable: { type: 'existing-path', path: cli },
      searchAttributes: [...ALL_SEARCH_ATTRIBUTES],
      log: { format: 'pretty', level: 'error' },
    },
  });
  process.env.TEMPORAL_ADDRESS = temporal.address;
  globalThis.__psaTest.temporal = temporal;
}
