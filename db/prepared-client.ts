/**
 * A pg client that sends the application's repeated statements as named prepared statements, so
 * PostgreSQL parses and plans each of them once per connection instead of on every call (kysely
 * hands pg plain text). The hot path of a ticket lifecycle is a handful of fixed statements run
 * thousands of times; their parse and plan were a large share of PostgreSQL's CPU per lifecycle.
 *
 * Only single data statements are named (never DDL: a plan prepared before a migration could
 * outlive the columns it was built on), and each connection names at most `MAX_NAMED` distinct
 * texts, so statements built with variable-length lists cannot grow a backend without bound. A
 * migration that changes a table under a prepared `select *` makes the server refuse that plan;
 * the statement then runs unnamed on that connection.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

const MAX_NAMED = 200;
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with)\s/i;

/** Statement text → name, shared by every connection (the name is derived from the text). */
const names = new Map<string, string | null>();

function nameOf(text: string): string | null {
  let name = names.get(text);
  if (name === undefined) {
    name = DATA_STATEMENT.test(text) && !text.includes(';') ? `ps_${createHash('sha1').update(text).digest('hex').slice(0, 20)}` : null;
    // Texts beyond what any connection may name are not remembered either.
    if (names.size < MAX_NAMED * 10) names.set(text, name);
  }
  return name;
}

/** PostgreSQL's answer when a table changed under a prepared `select *` (a migration while we run). */
const PLAN_OUTDATED = '0A000';

export class PreparingClient extends pg.Client {
  private readonly prepared = new Set<string>();
  /** Names whose prepared plan the server refused after a schema change: sent unnamed from then on. */
  private readonly outdated = new Set<string>();

  // pg's query() is heavily overloaded; only the (text, values) form kysely uses is rewritten.
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && args.length === 2) {
      const name = nameOf(text);
      if (name && !this.outdated.has(name) && (this.prepared.has(name) || this.prepared.size < MAX_NAMED)) {
        this.prepared.add(name);
        const named = super.query({ name, text, values }) as Promise<pg.QueryResult>;
        // The statement failed before it ran, so running it again unnamed is safe (inside a
        // transaction the retry fails too, and the caller's retry starts afresh).
        return named.catch((err: unknown) => {
          if ((err as { code?: string }).code !== PLAN_OUTDATED) throw err;
          this.outdated.add(name);
          return super.query(text, values);
        }) as never;
      }
    }
    return (super.query as (...a: unknown[]) => unknown)(...args) as never;
  }
}
