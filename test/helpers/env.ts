/** What the global setup advertises to every test file. */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../config/env';
import { createDb, type Db } from '../../db/connect';
import { KeyRing } from '../../security/crypto';
import { createLogger } from '../../infra/logger';
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../../activities/deps';
import { STRICT_URL_POLICY } from '../../psa/core/url-guard';

export function testConfig() {
  return loadConfig({ ...process.env, NODE_ENV: 'test' });
}

export function testDb(): Db {
  return createDb(testConfig().DATABASE_URL, 5);
}

export function testKeys(): KeyRing {
  const cfg = testConfig();
  if (!cfg.ENCRYPTION_KEYS) throw new Error('global setup did not set ENCRYPTION_KEYS');
  return new KeyRing(cfg.ENCRYPTION_KEYS);
}

/** A logger that keeps lines in memory (tests assert on them, e.g. that no secret is logged). */
export function memoryLogger(component = 'test') {
  const lines: string[] = [];
  return { log: createLogger(component, 'debug', (l) => lines.push(l)), lines };
}

export function uniqueTaskQueue(label: string): string {
  return `test-${label.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}-${randomUUID().slice(0, 8)}`;
}

/** Activity dependencies for workflows that never reach a PSA (system check, replay recording). */
export function offlineDeps(db: Db, temporal: Client, keys: KeyRing = testKeys()): ActivityDeps {
  return { db, keys, psa: { urlPolicy: STRICT_URL_POLICY }, log: memoryLogger().log, temporal, publicBaseUrl: 'http://127.0.0.1:1', platformCallbackUrl: null };
}
