/**
 * Building blocks of "safe input": zod schemas whose values PostgreSQL can store as given and
 * that name one thing one way. The HTTP API and the typed clients build their schemas from
 * these, so a value refused here is a 400 with a field-level message instead of a failed
 * statement (a 500) or a second identity for the same record.
 *
 * - PostgreSQL text refuses NUL (U+0000); jsonb also refuses unpaired UTF-16 surrogates, and a
 *   text column silently turns them into U+FFFD. Both are refused in every string and key.
 * - `timestamptz` has no year 0 and JavaScript dates print years past 9999 in another format,
 *   so instants are kept within 0001-01-01 … 9999-12-31 (UTC).
 * - A UUID has one spelling: lower case.
 * - Keys that reach an object's prototype machinery (`__proto__`, `constructor`, `prototype`)
 *   are refused wherever a record takes arbitrary keys.
 */
import { z } from 'zod';

/** NUL or a UTF-16 surrogate that is not half of a pair. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** Why `value` cannot be stored as PostgreSQL text, or null when it can. */
export function unstorableText(value: string): string | null {
  return UNSTORABLE.test(value) ? UNSTORABLE_TEXT_MESSAGE : null;
}

/** Keys refused in records with free-form keys: they address prototypes, not data. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest nesting a free-form JSON value may have (the HTTP body parser uses the same limit). */
export const MAX_JSON_DEPTH = 32;

/** A string PostgreSQL stores as given. Chain `.min()`/`.max()`/`.trim()` as with `z.string()`. */
export const safeText = () => z.string().refine((s) => unstorableText(s) === null, { message: UNSTORABLE_TEXT_MESSAGE, abort: true });

/** A key of a free-form record: storable, non-empty, not a prototype key. */
export const safeKey = (max = 200) =>
  safeText()
    .min(1)
    .max(max)
    .refine((k) => !RESERVED_KEYS.has(k), { message: 'is a reserved key (__proto__, constructor and prototype are refused)' });

/** Any UUID spelling; the value is its canonical lower-case form (one identity per id). */
export const uuidId = () => z.uuid().overwrite((s) => s.toLowerCase());

/** Only the canonical spelling: for ids a caller uses as given (workflow ids are built from them). */
export const canonicalUuid = () =>
  z
    .uuid()
    .refine((s) => s === s.toLowerCase(), { message: 'must be a UUID in lower case' });

const MIN_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** An ISO 8601 date-time with offset whose instant PostgreSQL and JavaScript both keep as written. */
export const storableDateTime = () =>
  z.iso.datetime({ offset: true, abort: true }).refine(
    (s) => {
      const t = Date.parse(s);
      return Number.isFinite(t) && t >= MIN_INSTANT && t <= MAX_INSTANT;
    },
    { message: 'must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z' },
  );

type Path = (string | number)[];

/** Walks a JSON value and reports each unstorable string, reserved key or excess depth with its path. */
function jsonProblems(value: unknown, path: Path, depth: number, report: (path: Path, message: string) => void): void {
  if (typeof value === 'string') {
    const why = unstorableText(value);
    if (why) report(path, why);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_JSON_DEPTH) {
    report(path, `is nested deeper than ${MAX_JSON_DEPTH} levels`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => jsonProblems(v, [...path, i], depth + 1, report));
    return;
  }
  for (const key of Object.keys(value)) {
    const keyWhy = RESERVED_KEYS.has(key) ? 'is a reserved key (__proto__, constructor and prototype are refused)' : unstorableText(key);
    if (keyWhy) report([...path, key], `key ${keyWhy}`);
    else jsonProblems((value as Record<string, unknown>)[key], [...path, key], depth + 1, report);
  }
}

/**
 * A JSON object with free-form keys (e.g. `detail`, `credentials`). The value is checked before
 * zod builds the record, because a `__proto__` key would otherwise vanish on the way.
 */
export const safeJsonRecord = () =>
  z.preprocess((value, ctx) => {
    if (value !== null && typeof value === 'object') jsonProblems(value, [], 0, (path, message) => ctx.addIssue({ code: 'custom', path, message, input: value }));
    return value;
  }, z.record(z.string(), z.json()));
