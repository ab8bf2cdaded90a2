/**
 * What activities are built from. The worker builds one `ActivityDeps` at start; tests build
 * their own (a fresh database, simulators on loopback). Activities never read the environment.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect';
import type { KeyRing } from '../security/crypto';
import type { PsaRuntimeOptions } from '../infra/psa-adapters';

export type { PsaRuntimeOptions } from '../infra/psa-adapters';

export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface ActivityDeps {
  db: Db;
  keys: KeyRing;
  psa: PsaRuntimeOptions;
  log: Logger;
  /** For activities that start, signal or list other workflows (revoke stops running syncs). */
  temporal: Client;
  /** Base URL the PSAs call back (webhooks); from PUBLIC_BASE_URL. */
  publicBaseUrl: string;
  /** Platform endpoint to tell about alerts the PSA resolved; null = record only. */
  platformCallbackUrl: string | null;
  /** Schedule periods and the hold rule of billing reconcile; defaults when absent (config/env.ts). */
  reconcile?: ReconcileSettings;
}

export interface ReconcileSettings {
  healthEverySeconds: number;
  reconcileEverySeconds: number;
  /** A drop larger than this share of the PSA's quantity is held for approval. */
  holdDropShare: number;
}

export const DEFAULT_RECONCILE_SETTINGS: ReconcileSettings = { healthEverySeconds: 300, reconcileEverySeconds: 21_600, holdDropShare: 0.5 };
