/** The safe-input building blocks: what PostgreSQL could not store, or one id spelt two ways, is refused with its path. */
import type { z } from 'zod';
import { canonicalUuid, safeJsonRecord, safeKey, safeText, storableDateTime, unstorableText, uuidId } from '../../../domain/input';

const issues = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues.map((i) => [i.path.join('.'), i.message]) ?? [];

test('text with NUL or an unpaired surrogate is refused; paired surrogates and other controls pass', () => {
  for (const bad of ['\u0000', 'a\u0000b', '\ud800', 'x\udbff', '\udc00', '\udfffy', '\udc00\ud800']) expect(unstorableText(bad)).not.toBeNull();
  for (const good of ['', 'plain', '😀', '\ud83d\ude00x', '\u0001\u001f', '\ufeff', 'é']) expect(unstorableText(good)).toBeNull();
  expect(issues(safeText().max(5), 'a\u0000')).toEqual([['', 'must not contain NUL characters or unpaired UTF-16 surrogates']]);
});

test('UUIDs: any spelling becomes lower case at the boundary; the strict form refuses upper case', () => {
  const u = 'AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA';
  expect(uuidId().parse(u)).toBe(u.toLowerCase());
  expect(canonicalUuid().safeParse(u).success).toBe(false);
  expect(canonicalUuid().parse(u.toLowerCase())).toBe(u.toLowerCase());
  expect(uuidId().safeParse(`{${u}}`).success).toBe(false);
});

test('date-times must lie within years 1 to 9999 in UTC', () => {
  for (const bad of ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-14:00', 'yesterday', '2024-02-30T00:00:00Z']) {
    expect({ bad, ok: storableDateTime().safeParse(bad).success }).toEqual({ bad, ok: false });
  }
  for (const good of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2024-05-01T10:00:00.5+02:00']) expect(storableDateTime().safeParse(good).success).toBe(true);
  expect(issues(storableDateTime(), 'nope')).toHaveLength(1);
});

test('JSON records refuse reserved and unstorable keys and values at any depth, and excess depth', () => {
  const record = safeJsonRecord();
  expect(issues(record, JSON.parse('{"__proto__":{"admin":true}}'))).toEqual([['__proto__', expect.stringMatching(/reserved key/)]]);
  expect(issues(record, { a: [{ constructor: 1 }] })).toEqual([['a.0.constructor', expect.stringMatching(/reserved key/)]]);
  expect(issues(record, { a: { b: 'x\u0000' } })).toEqual([['a.b', expect.stringMatching(/NUL/)]]);
  expect(issues(record, { ['k\ud800']: 1 })).toEqual([['k\ud800', expect.stringMatching(/^key must not contain/)]]);
  let deep: unknown = 1;
  for (let i = 0; i < 40; i += 1) deep = [deep];
  expect(issues(record, { deep })[0]?.[1]).toMatch(/nested deeper than 32/);
  expect(record.safeParse([1]).success).toBe(false);
  expect(record.parse({ a: [1, 'two', { three: null }] })).toEqual({ a: [1, 'two', { three: null }] });
  expect(safeKey().safeParse('prototype').success).toBe(false);
});
