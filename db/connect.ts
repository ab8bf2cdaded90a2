import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { Database } from './schema';
import { PreparingClient } from './prepared-client';

export type Db = Kysely<Database>;

export function createDb(databaseUrl: string, poolSize = 10): Db {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: poolSize,
    Client: PreparingClient,
    // Bursts of alerts come minutes apart; a connection closed after pg's default 10 idle
    // seconds is re-opened by the next burst, paying a backend start, cold catalog caches and
    // its prepared statements again. Idle connections do not keep the process alive.
    idleTimeoutMillis: 5 * 60_000,
    allowExitOnIdle: true,
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
}

/** Thrown when PostgreSQL cannot be reached; the message says how to fix it, in one line. */
export class DatabaseUnreachableError extends Error {
  constructor(readonly databaseUrl: string, cause: unknown) {
    const where = safeUrl(databaseUrl);
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `PostgreSQL at ${where} is unreachable (${reason}). Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL.`,
    );
    this.name = 'DatabaseUnreachableError';
  }
}

/** The URL without its password, for messages. */
export function safeUrl(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** Creates the database named in the URL when it does not exist yet (first run on a fresh machine). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const pool = new Pool({ connectionString: admin.toString(), max: 1 });
  try {
    const found = await pool.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await pool.query(`create database "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    throw new DatabaseUnreachableError(databaseUrl, err);
  } finally {
    await pool.end();
  }
}
