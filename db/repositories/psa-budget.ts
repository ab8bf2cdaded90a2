/**
 * The PSA request budget shared by every worker process (psa_budget_ledger, psa_budget_pauses).
 * Admission runs in a short transaction under a per-key advisory lock, so two workers can never
 * both take the last slot of a window; every time is PostgreSQL's, so the workers' clocks do not
 * have to agree.
 */
import { sql } from 'kysely';
import type { Db } from '../connect';

export interface BudgetWindow {
  maxRequests: number;
  windowMs: number;
}

export type Admission =
  /** Admitted: `requestId` is its ledger row, `at` the database time it was admitted. */
  | { admitted: true; requestId: string; at: Date }
  /** Refused: the window is full or the vendor asked for a pause; try again in `retryInMs`. */
  | { admitted: false; retryInMs: number };

/** Admits one request against `key` if no pause holds and the window has room; prunes the key's expired rows. */
export async function admitPsaRequest(db: Db, key: string, window: BudgetWindow): Promise<Admission> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`psa-budget:${key}`}, 0))`.execute(trx);
    // One statement after the lock: its snapshot sees every admission committed before it.
    const r = await sql<{ requestId: string | null; at: Date; retryInMs: number | null }>`
      with now as (select statement_timestamp() as ts),
      pause as (
        select p.paused_until from psa_budget_pauses p, now where p.budget_key = ${key} and p.paused_until > now.ts
      ),
      pruned as (
        delete from psa_budget_ledger l using now
        where l.budget_key = ${key} and l.at <= now.ts - make_interval(secs => ${window.windowMs} / 1000.0)
      ),
      counted as (
        select count(*)::int as n, min(l.at) as oldest from psa_budget_ledger l, now
        where l.budget_key = ${key} and l.at > now.ts - make_interval(secs => ${window.windowMs} / 1000.0)
      ),
      admitted as (
        insert into psa_budget_ledger (budget_key, at)
        select ${key}, now.ts from now, counted where counted.n < ${window.maxRequests} and not exists (select 1 from pause)
        returning id
      )
      select
        (select id::text from admitted) as request_id,
        now.ts as at,
        case
          when exists (select 1 from pause) then (select ceil(extract(epoch from (paused_until - now.ts)) * 1000)::int from pause)
          when counted.n >= ${window.maxRequests} then greatest(1, ceil(extract(epoch from (counted.oldest + make_interval(secs => ${window.windowMs} / 1000.0) - now.ts)) * 1000)::int)
        end as retry_in_ms
      from now, counted`.execute(trx);
    const row = r.rows[0];
    if (row?.requestId) return { admitted: true, requestId: row.requestId, at: row.at };
    return { admitted: false, retryInMs: Math.max(1, row?.retryInMs ?? 1) };
  });
}

/** What a request asking on terms is told (psa/core/shared-budget.ts `TermsVerdict`, with ledger ids). */
export type TermsAdmission =
  | { admitted: true; requestId: string }
  | { admitted: false; retryInMs: number }
  | { admitted: false; reservedInMs: number; reservation: string }
  | { admitted: false; busy: true };

const ms = (d: Date) => d.getTime();

/**
 * Admits a request now, or reserves for it the earliest place that keeps every window within
 * the budget: a place may start only once the request `maxRequests` places before it (admitted,
 * or reserved itself) has left the window. Places are rows in the future, so plain admissions
 * count them too. With `reservation`, claims that place once its time has come and the requests
 * actually sent in the last window leave room (one sent late can still be in it). A
 * `background` request is admitted only when nothing is paused, reserved or short of room.
 */
export async function admitPsaRequestOnTerms(db: Db, key: string, window: BudgetWindow, terms: { reservation?: string; background?: boolean }): Promise<TermsAdmission> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`psa-budget:${key}`}, 0))`.execute(trx);
    const now = (await sql<{ ts: Date }>`select clock_timestamp() as ts`.execute(trx)).rows[0]?.ts as Date;
    const windowStart = new Date(ms(now) - window.windowMs);
    await trx.deleteFrom('psaBudgetLedger').where('budgetKey', '=', key).where('at', '<=', windowStart).execute();
    const pause = await trx.selectFrom('psaBudgetPauses').select('pausedUntil').where('budgetKey', '=', key).where('pausedUntil', '>', now).executeTakeFirst();
    const pausedMs = pause ? ms(pause.pausedUntil) - ms(now) : 0;

    if (terms.reservation !== undefined && /^\d{1,18}$/.test(terms.reservation)) {
      const place = await trx.selectFrom('psaBudgetLedger').select('at').where('id', '=', terms.reservation).where('budgetKey', '=', key).executeTakeFirst();
      if (place) {
        if (ms(place.at) > ms(now)) return { admitted: false, retryInMs: Math.max(1, ms(place.at) - ms(now)) };
        if (pausedMs > 0) return { admitted: false, retryInMs: pausedMs };
        const sent = await trx
          .selectFrom('psaBudgetLedger')
          .select('at')
          .where('budgetKey', '=', key)
          .where('id', '<>', terms.reservation)
          .where('at', '>', windowStart)
          .where('at', '<=', now)
          .orderBy('at', 'desc')
          .limit(window.maxRequests)
          .execute();
        if (sent.length < window.maxRequests) {
          await trx.updateTable('psaBudgetLedger').set({ at: now }).where('id', '=', terms.reservation).execute();
          return { admitted: true, requestId: terms.reservation };
        }
        const oldestThatMatters = sent[sent.length - 1] as { at: Date };
        return { admitted: false, retryInMs: Math.max(1, ms(oldestThatMatters.at) + window.windowMs + 1 - ms(now)) };
      }
      // The place left the window unclaimed: the caller asks anew.
    }

    if (terms.background) {
      const r = await trx
        .selectFrom('psaBudgetLedger')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('at').as('latest')])
        .where('budgetKey', '=', key)
        .executeTakeFirst();
      const latest = r?.latest ? new Date(r.latest as unknown as string | Date) : null;
      if (pausedMs > 0 || Number(r?.n ?? 0) >= window.maxRequests || (latest && ms(latest) > ms(now))) return { admitted: false, busy: true };
    }

    const before = await trx
      .selectFrom('psaBudgetLedger')
      .select('at')
      .where('budgetKey', '=', key)
      .orderBy('at', 'desc')
      .offset(window.maxRequests - 1)
      .limit(1)
      .executeTakeFirst();
    const at = Math.max(ms(now) + pausedMs, before ? ms(before.at) + window.windowMs + 1 : 0, ms(now));
    const row = await trx.insertInto('psaBudgetLedger').values({ budgetKey: key, at: new Date(at) }).returning('id').executeTakeFirstOrThrow();
    const id = String(row.id);
    if (at <= ms(now)) return { admitted: true, requestId: id };
    return { admitted: false, reservedInMs: at - ms(now), reservation: id };
  });
}

/**
 * The request has completed: it counts from now on, as the vendor (which counts it when it
 * arrives) may have seen it as late as this.
 */
export async function completePsaRequest(db: Db, requestId: string): Promise<void> {
  await db.updateTable('psaBudgetLedger').set({ at: sql<Date>`statement_timestamp()` }).where('id', '=', requestId).execute();
}

/** The vendor said "not before now + ms" for `key`: a later pause already recorded is kept. */
export async function pausePsaBudget(db: Db, key: string, ms: number): Promise<void> {
  await sql`
    insert into psa_budget_pauses (budget_key, paused_until)
    values (${key}, statement_timestamp() + make_interval(secs => ${Math.max(0, ms)} / 1000.0))
    on conflict (budget_key) do update set paused_until = greatest(psa_budget_pauses.paused_until, excluded.paused_until)`.execute(db);
}

/** Rows in the key's current window (tests, diagnostics). */
export async function psaRequestsInWindow(db: Db, key: string, windowMs: number): Promise<number> {
  const r = await sql<{ n: number }>`
    select count(*)::int as n from psa_budget_ledger
    where budget_key = ${key} and at > statement_timestamp() - make_interval(secs => ${windowMs} / 1000.0)`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/** The pause recorded for `key`, if any (tests, diagnostics). */
export async function psaBudgetPausedUntil(db: Db, key: string): Promise<Date | null> {
  const row = await db.selectFrom('psaBudgetPauses').select('pausedUntil').where('budgetKey', '=', key).executeTakeFirst();
  return row?.pausedUntil ?? null;
}

/** Every ledger row of `key`, expired or not (tests: pruning). */
export async function psaLedgerRows(db: Db, key: string): Promise<number> {
  const row = await db.selectFrom('psaBudgetLedger').select((eb) => eb.fn.countAll<string>().as('n')).where('budgetKey', '=', key).executeTakeFirst();
  return Number(row?.n ?? 0);
}
