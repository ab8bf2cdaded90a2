/**
 * Repeated data statements reach PostgreSQL as named prepared statements (parsed and planned
 * once per connection); DDL and multi-statement text never do, and results are unchanged.
 */
import { sql } from 'kysely';
import { createDb, type Db } from '../../db/connect';
import { testConfig } from '../helpers/env';

let db: Db;
beforeAll(() => {
  // One connection, so pg_prepared_statements (per session) sees everything this test sent.
  db = createDb(testConfig().DATABASE_URL, 1);
});
afterAll(async () => {
  await db.destroy();
});

const preparedOnThisConnection = async () =>
  (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(db)).rows;

test('a repeated query is prepared once and answers the same', async () => {
  const byName = (name: string) => db.selectFrom('partners').select(['id', 'name']).where('name', '=', name).execute();
  const before = await byName('no such partner');
  const again = await byName('still no such partner');
  expect(before).toEqual([]);
  expect(again).toEqual([]);
  const mine = (await preparedOnThisConnection()).filter((p) => p.statement.includes('from "partners"'));
  expect(mine).toHaveLength(1);
  expect(mine[0]?.name).toMatch(/^ps_[0-9a-f]{20}$/);
});

test('DDL and multi-statement text are sent unnamed', async () => {
  await sql`create temporary table prepared_probe (n int)`.execute(db);
  await sql.raw('insert into prepared_probe values (1); insert into prepared_probe values (2)').execute(db);
  const rows = await sql<{ n: number }>`select n from prepared_probe order by n`.execute(db);
  expect(rows.rows.map((r) => r.n)).toEqual([1, 2]);
  const statements = (await preparedOnThisConnection()).map((p) => p.statement);
  expect(statements.some((s) => /create temporary table/i.test(s))).toBe(false);
  expect(statements.some((s) => s.includes('; insert'))).toBe(false);
});

test('a table changed under a prepared select * (a migration while running) still answers, with the new column', async () => {
  await sql`create temporary table prepared_changing (a int)`.execute(db);
  await sql`insert into prepared_changing values (1)`.execute(db);
  const all = () => db.selectFrom('prepared_changing' as never).selectAll().execute();
  expect(await all()).toEqual([{ a: 1 }]);
  await sql`alter table prepared_changing add column b int default 2`.execute(db);
  expect(await all()).toEqual([{ a: 1, b: 2 }]);
  expect(await all()).toEqual([{ a: 1, b: 2 }]);
});

test('a connection names at most 200 distinct statements; the rest still run', async () => {
  for (let i = 0; i < 230; i += 1) {
    const r = await sql<{ v: number }>`select ${sql.raw(String(i))}::int + ${1}::int as v`.execute(db);
    expect(r.rows[0]?.v).toBe(i + 1);
  }
  expect((await preparedOnThisConnection()).length).toBe(200);
});
