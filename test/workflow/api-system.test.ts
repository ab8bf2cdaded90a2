/**
 * The ops endpoints: health against the real database and Temporal server, the Temporal remote
 * codec behind its token (header or capability path), and the OpenAPI document.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { ApiServer } from '../../api/server';
import { systemRoutes } from '../../api/routes/system';
import { memoryLogger, testConfig, testDb, testKeys } from '../helpers/env';
import { temporalTestContext, type TemporalTestContext } from '../helpers/temporal';
import { EncryptionCodec } from '../../security/codec';
import { STRICT_URL_POLICY } from '../../psa/core/url-guard';
import type { Db } from '../../db/connect';

let server: ApiServer;
let url: string;
let db: Db;
let temporal: TemporalTestContext;
const config = testConfig();

beforeAll(async () => {
  db = testDb();
  temporal = await temporalTestContext(testKeys());
  const deps = { db, temporal: temporal.client, taskQueue: 'unused', keys: testKeys(), config, psa: { urlPolicy: STRICT_URL_POLICY }, log: memoryLogger().log };
  server = new ApiServer({ db, routes: systemRoutes(deps), platformTokens: config.API_TOKENS, log: deps.log, corsOrigins: ['http://127.0.0.1:8233'] });
  url = await server.listen(0);
});
afterAll(async () => {
  await server.close();
  await temporal.close();
  await db.destroy();
});

const wire = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

test('healthz answers when PostgreSQL and Temporal do', async () => {
  const res = await fetch(`${url}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
});

test('the codec decodes what the worker encrypted, only with the codec token', async () => {
  const [sealed] = await new EncryptionCodec(testKeys()).encode([defaultPayloadConverter.toPayload({ customer: 'Contoso Dental' })]);
  const body = JSON.stringify({ payloads: [wire(sealed!)] });
  const anonymous = await fetch(`${url}/codec/decode`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  expect(anonymous.status).toBe(401);
  const wrong = await fetch(`${url}/codec/t/not-the-token/decode`, { method: 'POST', body });
  expect(wrong.status).toBe(401);
  for (const res of [
    await fetch(`${url}/codec/decode`, { method: 'POST', body, headers: { authorization: `Bearer ${config.CODEC_AUTH_TOKEN}`, origin: 'http://127.0.0.1:8233' } }),
    await fetch(`${url}/codec/t/${config.CODEC_AUTH_TOKEN}/decode`, { method: 'POST', body }),
  ]) {
    expect(res.status).toBe(200);
    const [payload] = ((await res.json()) as { payloads: { data: string }[] }).payloads;
    expect(JSON.parse(Buffer.from(payload!.data, 'base64').toString())).toEqual({ customer: 'Contoso Dental' });
  }
  const cors = await fetch(`${url}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:8233' } });
  expect(cors.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
});

test('OpenAPI lists the routes; unknown routes and methods answer 404 / 405', async () => {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/codec/decode']));
  expect((await fetch(`${url}/nope`)).status).toBe(404);
  expect((await fetch(`${url}/healthz`, { method: 'DELETE' })).status).toBe(405);
  const bad = await fetch(`${url}/codec/decode`, { method: 'POST', body: '{nope', headers: { authorization: `Bearer ${config.CODEC_AUTH_TOKEN}` } });
  expect(bad.status).toBe(400);
});
