/**
 * Hostile requests derived from the API's OpenAPI document. For every operation it builds a
 * request that would pass (real ids, a valid token and user, a body instantiated from the
 * schema) and then breaks one thing with fast-check: the raw request-target, a path parameter's
 * escapes or type, the query, the auth headers, other headers and the framing, the media type
 * and encoding, one field of the body (type, hostile text, unstorable dates, reserved keys), the
 * body's depth, size or syntax, or the method. Each case is bytes for a raw socket.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { percentEncode, rawRequest, type RawRequest } from './raw-http';

export interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

interface OpenApiOperation {
  parameters?: { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  security?: unknown[];
}

type JsonSchema = Record<string, unknown>;

export interface Operation {
  key: string;
  method: string;
  path: string;
  pathParams: string[];
  queryParams: { name: string; schema: JsonSchema }[];
  needsUser: boolean;
  needsToken: boolean;
  body: JsonSchema | null;
}

/** Real values for the ids and names a request needs to get past routing, auth and 404s. */
export interface Known {
  token: string;
  codecToken: string;
  userId: string;
  values: Record<string, string>;
}

export interface Case {
  kind: string;
  op: string;
  bytes: Buffer;
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      ops.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        needsUser: params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'x-user-id'),
        needsToken: (op.security ?? []).length > 0,
        body: op.requestBody?.content['application/json']?.schema ?? null,
      });
    }
  }
  return ops;
}

/** A value of the schema that passes it (as far as a minimal instance can), using known ids by name. */
function instantiate(schema: JsonSchema, root: JsonSchema, known: Known, name = ''): unknown {
  if (typeof schema.$ref === 'string') {
    const def = (root.$defs as Record<string, JsonSchema> | undefined)?.[schema.$ref.split('/').pop() as string];
    return def ? instantiate(def, root, known, name) : null;
  }
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('const' in schema) return schema.const;
  if ('default' in schema) return schema.default;
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    const list = schema[k] as JsonSchema[] | undefined;
    if (list?.length) return instantiate(list.find((s) => s.type !== 'null') ?? (list[0] as JsonSchema), root, known, name);
  }
  switch (schema.type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      return Object.fromEntries(Object.entries(props).filter(([k]) => required.includes(k)).map(([k, s]) => [k, instantiate(s, root, known, k)]));
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'string': {
      if (known.values[name]) return known.values[name];
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      return 'x'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
    }
    default:
      return known.values[name] ?? 'x';
  }
}

/** Paths to every leaf (and every object, where keys can be added) of a JSON value. */
function leaves(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; container: boolean }[] {
  if (value === null || typeof value !== 'object') return [{ path, container: false }];
  const own = [{ path, container: !Array.isArray(value) }];
  return [...own, ...Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, Array.isArray(value) ? Number(k) : k]))];
}

function setAt(value: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  copy[head] = setAt(copy[head], rest, leaf);
  return copy;
}

/** JSON text with a key that JSON.stringify cannot produce unescaped, placed inside the object at `path`. */
function withRawKey(value: unknown, path: (string | number)[], rawKeyJson: string, rawValueJson: string): string {
  const marker = `__marker_${randomUUID()}__`;
  const text = JSON.stringify(setAt(value, [...path, marker], 0));
  return text.replace(`"${marker}":0`, `${rawKeyJson}:${rawValueJson}`);
}

const BAD_ESCAPES = ['%', '%f', '%zz', '%ff', '%E0%A4%A', '%c0%af', '%ed%a0%80', '%ed%b0%80', '%00', '%0', '%%', '%C3', '%F4%90%80%80', '%fe%ff', '%u0041', '%25%', '%2'];
const LONE = ['\ud800', '\udbff', '\udc00', '\udfff', 'a\ud800b', '\udc00\ud800'];
const HOSTILE_TEXT = ['\u0000', 'a\u0000', '\u0000\u0000\u0000', ...LONE, '\u202e', '\ufeff', '\uffff', '\u0001\u001f', '💥', 'x'.repeat(5000), '😀'.repeat(2000), '%00', '\\u0000', "'; drop table alerts; --", '${jndi:ldap://x}', '../../etc/passwd', '<script>', ' ', ''];
const DATES = ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-14:00', '0001-01-01T00:00:00+01:00', '+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T23:59:60Z', '2024-01-01T00:00:00+25:00', '2024-01-01', '1e999', 'NaN', ''];
const WRONG_TYPES: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, '', 'x', [], [1], {}, { a: 1 }, '1', 'true', 'null'];
const RAW_NUMBERS = ['1e400', '-1e400', '123456789012345678901234567890', '-0', '0x10', 'NaN', 'Infinity', '01', '.5', '1.', '+1'];
const RESERVED = ['"__proto__"', '"constructor"', '"prototype"', '"\\u0000"', '"\\ud800"', '"\\udc00x"', '""', `"${'k'.repeat(300)}"`];

/** A path template with real values (or `override` for one parameter), percent-encoded. */
function pathWith(op: Operation, known: Known, override?: { name: string; encoded: string }): string {
  return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => (override?.name === name ? override.encoded : encodeURIComponent(known.values[name] ?? randomUUID())));
}

function queryWith(op: Operation, known: Known): string {
  const parts = op.queryParams.filter((q) => known.values[`query.${q.name}`]).map((q) => `${q.name}=${encodeURIComponent(known.values[`query.${q.name}`] as string)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function authHeaders(op: Operation, known: Known): Record<string, string> {
  return {
    ...(op.needsToken ? { authorization: `Bearer ${known.token}` } : op.path.startsWith('/codec/') && !op.path.includes('{token}') ? { authorization: `Bearer ${known.codecToken}` } : {}),
    ...(op.needsUser ? { 'x-user-id': known.userId } : {}),
  };
}

const bodyMethod = (op: Operation) => op.method === 'POST' || op.method === 'PUT' || op.method === 'PATCH';

export function casesFor(op: Operation, known: Known, perKind: number, seed: number): Case[] {
  const root = op.body ?? {};
  const baseBody = op.body ? instantiate(op.body, root, known) : bodyMethod(op) ? {} : undefined;
  const basePath = pathWith(op, known) + queryWith(op, known);
  const headers = authHeaders(op, known);
  const req = (r: Partial<RawRequest> & { body?: Buffer | string }): Buffer =>
    rawRequest({ method: op.method, target: basePath, headers: { ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...r });
  const withBody = (body: Buffer | string): Buffer => req({ headers: { 'content-type': 'application/json', ...headers }, body });

  const kinds: Record<string, fc.Arbitrary<Buffer>> = {};

  // The raw request-target: bad escapes, control bytes and forms Node's parser or the router must refuse.
  kinds.target = fc
    .tuple(fc.constantFrom(...BAD_ESCAPES, '\u0001', '\u007f', ' ', '\t', '#', '?', '//', '/..', '/%2e%2e/', '\\', '\u00ff', '[', ']', '@', 'http://x:99999', '*'), fc.nat({ max: 40 }), fc.boolean())
    .map(([junk, at, absolute]) => {
      const cut = Math.min(at, basePath.length);
      const target = `${absolute ? 'http://127.0.0.1:99999' : ''}${basePath.slice(0, cut)}${junk}${basePath.slice(cut)}`;
      return Buffer.concat([Buffer.from(`${op.method} `), Buffer.from(target, 'latin1'), Buffer.from(` HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`)]);
    });

  // One path parameter: malformed escapes, NUL, lone surrogates, hostile text, wrong types.
  kinds.param =
    op.pathParams.length === 0
      ? fc.constantFrom(...BAD_ESCAPES).map((e) => req({ target: `${basePath}${e}` }))
      : fc
          .tuple(
            fc.constantFrom(...op.pathParams),
            fc.oneof(
              fc.constantFrom(...BAD_ESCAPES),
              fc.constantFrom(...HOSTILE_TEXT, ...LONE).map(percentEncode),
              fc.string({ unit: 'binary', maxLength: 30 }).map(percentEncode),
              fc.constantFrom('0', '-1', 'null', 'undefined', '%20', 'a'.repeat(1200), '{}', '%7B%7D', '..', '%2F', 'a%2Fb'),
              fc.uuid().map((u) => u.toUpperCase()),
              fc.uuid().map((u) => `{${u}}`),
              fc.uuid().map((u) => u.replace(/-/g, '')),
            ),
          )
          .map(([name, encoded]) => req({ target: pathWith(op, known, { name, encoded }) + queryWith(op, known) }));

  // The query: unknown names, repeats, wrong types, malformed escapes, hostile text.
  const queryNames = op.queryParams.length ? op.queryParams.map((q) => q.name) : ['q'];
  kinds.query = fc
    .tuple(
      fc.constantFrom(...queryNames, 'unknown', '__proto__', 'constructor', ''),
      fc.oneof(fc.constantFrom(...BAD_ESCAPES), fc.constantFrom(...HOSTILE_TEXT, ...LONE).map(percentEncode), fc.constantFrom('-1', '0', '1e309', 'NaN', 'Infinity', '0x10', '2.5', '99999999999999999999', '', '%7B%22a%22%3A%7B%7D%7D', encodeURIComponent('['.repeat(3000)))),
      fc.boolean(),
    )
    .map(([name, value, twice]) => req({ target: `${pathWith(op, known)}?${name}=${value}${twice ? `&${name}=${value}` : ''}` }));

  // Credentials: missing, malformed, another scheme, other users' or unknown ids.
  kinds.auth = fc
    .record({
      authorization: fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', `Bearer ${known.token} `, `bearer ${known.token}`, `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${'t'.repeat(4000)}`, `Bearer ${known.token}\u00ff`, 'Bearer %00', `Bearer ${known.codecToken}`),
      user: fc.constantFrom(undefined, '', 'nope', known.userId.toUpperCase(), randomUUID(), `${known.userId} `, known.userId.slice(0, -1), '00000000-0000-0000-0000-000000000000', known.values.otherUserId ?? randomUUID()),
      signature: fc.constantFrom(undefined, 'x-content-signature: AAAA', 'x-hook-signature: sha1=AAAA', 'authorization: Basic cHNhLXN5bmM6eA==', 'x-psa-sync-signature: sha256=00', 'x-psa-sync-timestamp: 99999999999'),
    })
    .map(({ authorization, user, signature }) => {
      const h: Record<string, string> = { ...(authorization !== undefined ? { authorization } : {}), ...(user !== undefined ? { 'x-user-id': user } : {}) };
      const body = baseBody === undefined ? undefined : JSON.stringify(baseBody);
      return rawRequest({ method: op.method, target: basePath, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...h }, ...(body ? { body } : {}), ...(signature ? { extraHeaderLines: [signature] } : {}) });
    });

  // Headers and framing: bad bytes, oversized, duplicates, contradictory lengths, versions.
  kinds.header = fc
    .constantFrom(
      ['x-bad: a\u0000b'],
      ['x-bad: a\u0001b'],
      ['bad header: x'],
      [`x-big: ${'a'.repeat(70_000)}`],
      ['content-length: -1'],
      ['content-length: abc'],
      ['content-length: 1', 'content-length: 2'],
      ['transfer-encoding: chunked', 'content-length: 2'],
      ['transfer-encoding: gzip, chunked'],
      ['transfer-encoding: bogus'],
      ['expect: 100-continue'],
      ['expect: 999-nope'],
      ['host: a', 'host: b'],
      ['x-user-id: a', 'x-user-id: b'],
      ['authorization: Bearer a', 'authorization: Bearer b'],
      [': empty-name'],
      ['content-type: application/json; charset=utf-8; charset=latin1'],
      ['x-folded: a\r\n b'],
    )
    .map((lines) => {
      const body = baseBody === undefined ? '' : JSON.stringify(baseBody);
      const chunked = lines.some((l) => l.startsWith('transfer-encoding: chunked'));
      const payload = chunked ? `zz\r\n${body}\r\n0\r\n\r\n` : body;
      const setsLength = lines.some((l) => /^(content-length|transfer-encoding)/.test(l));
      // A declared length longer than the body would only make the server wait: never sent.
      return Buffer.from(
        `${op.method} ${basePath} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}${body ? 'content-type: application/json\r\n' : ''}${setsLength ? '' : `content-length: ${Buffer.byteLength(payload)}\r\n`}${lines.join('\r\n')}\r\n\r\n${setsLength && !chunked ? '{}' : payload}`,
        'latin1',
      );
    });

  // Media types and encodings of an otherwise valid body.
  kinds.media = fc
    .tuple(
      fc.constantFrom(undefined, 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/octet-stream', 'application/vnd.api+json', 'text/plain', '*/*', 'application/json;', 'json', ''),
      fc.constantFrom('utf8', 'utf16le', 'bom', 'latin1-bytes', 'invalid-utf8', 'gzip-claim'),
    )
    .map(([type, encoding]) => {
      const text = JSON.stringify(baseBody ?? {});
      const bytes =
        encoding === 'utf16le'
          ? Buffer.from(text, 'utf16le')
          : encoding === 'bom'
            ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
            : encoding === 'latin1-bytes'
              ? Buffer.from(text.replace(/"$/, '') + '\u00e9', 'latin1')
              : encoding === 'invalid-utf8'
                ? Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('}')])
                : Buffer.from(text);
      return rawRequest({ method: op.method, target: basePath, headers: { ...headers, ...(type !== undefined ? { 'content-type': type } : {}), ...(encoding === 'gzip-claim' ? { 'content-encoding': 'gzip' } : {}) }, body: bytes });
    });

  // One field of the body: a wrong type, hostile text, an unstorable date, or a reserved or unstorable key.
  const spots = leaves(baseBody ?? {});
  kinds.field = fc
    .tuple(
      fc.constantFrom(...spots),
      fc.oneof(
        fc.constantFrom(...WRONG_TYPES).map((v) => ({ value: v as unknown, raw: undefined as string | undefined })),
        fc.constantFrom(...HOSTILE_TEXT, ...DATES).map((v) => ({ value: v as unknown, raw: undefined as string | undefined })),
        fc.string({ unit: 'binary', maxLength: 50 }).map((v) => ({ value: v as unknown, raw: undefined as string | undefined })),
        fc.constantFrom(...RAW_NUMBERS).map((raw) => ({ value: undefined as unknown, raw })),
        fc.constantFrom(...RESERVED).map((key) => ({ value: undefined as unknown, raw: `key:${key}` })),
      ),
    )
    .map(([spot, change]) => {
      if (change.raw?.startsWith('key:')) {
        const at = spot.container ? spot.path : spot.path.slice(0, -1);
        return withBody(withRawKey(baseBody ?? {}, at, change.raw.slice(4), '{"isAdmin":true}'));
      }
      if (change.raw !== undefined) {
        const marker = `__n_${randomUUID()}__`;
        return withBody(JSON.stringify(setAt(baseBody ?? {}, spot.path, marker)).replace(`"${marker}"`, change.raw));
      }
      return withBody(JSON.stringify(setAt(baseBody ?? {}, spot.path, change.value)));
    });

  // The body's shape: depth, size, syntax, top-level type.
  kinds.shape = fc.oneof(
    fc.integer({ min: 30, max: 60_000 }).map((d) => withBody(`{"a":${'['.repeat(d)}${']'.repeat(d)}}`)),
    fc.integer({ min: 30, max: 5000 }).map((d) => withBody(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`)),
    fc.integer({ min: 1_000_000, max: 1_400_000 }).map((n) => withBody(`{"a":"${'x'.repeat(n)}"}`)),
    fc.integer({ min: 1000, max: 20_000 }).map((n) => withBody(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))))),
    fc.constantFrom('', ' ', 'null', 'true', '1', '"x"', '[]', '[{}]', '{', '}', '{"a":}', '{"a":1,}', '{a:1}', "{'a':1}", '{"a":1}{"b":2}', '{"a":1} x', '/*c*/{}', '{"a":NaN}', '{"a":undefined}', '{"a":"\\x00"}', '{"a":"\\u00"}', '{"a":"\u0000"}', '\u0000', '{"a":1,"a":2}').map(withBody),
  );

  // Other methods on the path, and method tokens that are not methods.
  kinds.method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'FOO', 'get', 'G\u00c9T', 'PRI', 'SEARCH', 'PROPFIND').map((method) => {
    const body = baseBody === undefined ? undefined : JSON.stringify(baseBody);
    return rawRequest({ method, target: basePath, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body } : {}) });
  });

  const cases: Case[] = [];
  let i = 0;
  for (const [kind, arb] of Object.entries(kinds)) {
    i += 1;
    for (const bytes of fc.sample(arb, { numRuns: perKind, seed: seed + i })) cases.push({ kind, op: op.key, bytes });
  }
  return cases;
}
