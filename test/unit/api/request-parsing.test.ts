/** The server's own parsers never throw on what a client sends: the query string and the JSON depth scan. */
import fc from 'fast-check';
import { jsonDepth, parseQuery } from '../../../api/server';

test('query strings decode like forms; repeats become arrays; a bad escape marks the result instead of throwing', () => {
  expect({ ...parseQuery('a=1&b=x+y&c=%C3%A9&d') }).toEqual({ a: '1', b: 'x y', c: 'é', d: '' });
  expect({ ...parseQuery('a=1&a=2&a=3') }).toEqual({ a: ['1', '2', '3'] });
  const bad = parseQuery('a=%ff&b=2');
  expect(Object.entries(bad)).toEqual([['b', '2']]);
  expect(Object.getOwnPropertySymbols(bad)).toHaveLength(1);
  expect(Object.getPrototypeOf(parseQuery('__proto__=1'))).toBeNull();
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseQuery(s)), { numRuns: 2000 });
});

test('JSON depth is counted outside strings and stops early past the limit', () => {
  expect(jsonDepth('{"a":[1,{"b":[]}]}', 32)).toBe(4);
  expect(jsonDepth('{"a":"[[[[[[\\"[[["}', 32)).toBe(1);
  expect(jsonDepth('['.repeat(1_000_000), 32)).toBe(33);
  fc.assert(
    fc.property(fc.json(), (text) => {
      const depth = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);
      expect(jsonDepth(text, 1000)).toBe(depth(JSON.parse(text)));
    }),
    { numRuns: 500 },
  );
});
