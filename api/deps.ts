import type { Client } from '@temporalio/client';
import type { Env } from '../config/env';
import type { Db } from '../db/connect';
import type { KeyRing } from '../security/crypto';
import type { Logger, PsaRuntimeOptions } from '../activities/deps';

/** What route modules are built from. */
export interface ApiDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  keys: KeyRing;
  config: Env;
  psa: PsaRuntimeOptions;
  log: Logger;
}
