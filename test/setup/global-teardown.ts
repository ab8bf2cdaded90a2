import { Pool } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__psaTest;
  if (!state) return;
  await state.temporal?.teardown();
  if (process.env.KEEP_TEST_DATABASE) return;
  const url = new URL(state.databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const pool = new Pool({ connectionString: url.toString(), max: 1 });
  try {
    await pool.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await pool.end();
  }
}
