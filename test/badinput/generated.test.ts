/**
 * The generated bad-input run: at least 5,000 hostile requests derived from the OpenAPI
 * document, across every route and every kind of breakage (see generator.ts), sent on raw
 * sockets to the real API process. None may answer 5xx or go unanswered, and the process must
 * be alive and serving afterwards. Prints the figures: requests, status counts, per kind, time.
 */
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import { testConfig } from '../helpers/env';
import { integrationsPath, PSAS, vendorKits } from '../workflow/integration-kit';
import { startApiProcess, type ApiProcess } from './api-process';
import { casesFor, operationsOf, type Case, type Known, type OpenApiDoc } from './generator';
import { sendRaw, type RawAnswer } from './raw-http';

const TARGET_REQUESTS = 5000;
const CONCURRENCY = 8;
const SEED = 20261204;

let stack: Stack;
let api: ApiProcess;

beforeAll(async () => {
  stack = await startStack('badinput-generated');
  api = await startApiProcess(stack);
});
afterAll(async () => {
  await api?.stop();
  await stack?.close();
});

test(`at least ${TARGET_REQUESTS} generated hostile requests: no 5xx, every one answered, the process serving afterwards`, async () => {
  const config = testConfig();
  const t = await seedTenants(stack.db);
  const owner = t.master.users.owner;
  const kits = vendorKits(stack);
  const connections: Record<string, string> = {};
  for (const psa of PSAS) {
    const res = await stack.api('POST', `${integrationsPath(t.master.id, psa)}/connect`, owner, { credentials: kits[psa].credentials() });
    expect(res.status).toBe(201);
    connections[psa] = res.body.connectionId;
  }
  const form = await stack.api('GET', integrationsPath(t.master.id, 'halopsa', '/ticket-mapping'), owner);
  const receipt = await stack.api('POST', '/v1/alerts', null, { eventId: `evt-gen-${Date.now()}`, organizationId: t.master.organizationIds[0], problem: 'backup_failed', event: 'raised', occurredAt: new Date().toISOString() });
  expect(receipt.status).toBe(202);
  const known: Known = {
    token: config.API_TOKENS[0] as string,
    codecToken: config.CODEC_AUTH_TOKEN,
    userId: owner,
    values: {
      partnerId: t.master.id,
      psa: 'halopsa',
      planId: t.master.planId,
      organizationId: t.master.organizationIds[0] as string,
      connectionId: connections.connectwise as string,
      eventId: receipt.body.eventId,
      field: form.body.fields[0].name,
      token: config.CODEC_AUTH_TOKEN,
      otherUserId: t.direct.users.owner,
    },
  };

  const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as OpenApiDoc;
  const ops = operationsOf(doc);
  expect(ops.length).toBeGreaterThanOrEqual(20);
  const kindsPerOp = 9;
  const perKind = Math.ceil(TARGET_REQUESTS / (ops.length * kindsPerOp));
  const cases: Case[] = ops.flatMap((op, i) => casesFor(op, known, perKind, SEED + i * 100));
  expect(cases.length).toBeGreaterThanOrEqual(TARGET_REQUESTS);

  const started = Date.now();
  const answers: { c: Case; a: RawAnswer }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < cases.length) {
        const c = cases[next++] as Case;
        answers.push({ c, a: await sendRaw(api.port, c.bytes) });
      }
    }),
  );
  const ms = Date.now() - started;

  const byStatus = new Map<string, number>();
  const byKind = new Map<string, Map<string, number>>();
  for (const { c, a } of answers) {
    const s = a.timedOut ? 'timeout' : a.status === null ? 'no answer' : String(a.status);
    byStatus.set(s, (byStatus.get(s) ?? 0) + 1);
    const k = byKind.get(c.kind) ?? new Map<string, number>();
    k.set(s, (k.get(s) ?? 0) + 1);
    byKind.set(c.kind, k);
  }
  const fmt = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}×${n}`).join('  ');
  process.stdout.write(
    [
      '',
      `bad-input tier: ${answers.length} requests over ${ops.length} operations in ${(ms / 1000).toFixed(1)} s (${Math.round(answers.length / (ms / 1000))}/s, ${CONCURRENCY} sockets)`,
      `  statuses: ${fmt(byStatus)}`,
      ...[...byKind.entries()].map(([kind, m]) => `  ${kind.padEnd(7)} ${fmt(m)}`),
      '',
    ].join('\n'),
  );

  const bad = answers
    .filter(({ a }) => a.status === null || a.status >= 500)
    .map(({ c, a }) => ({ kind: c.kind, op: c.op, status: a.status, timedOut: a.timedOut, request: c.bytes.subarray(0, 300).toString('latin1'), answer: a.body.slice(0, 300) }));
  expect(bad.slice(0, 10)).toEqual([]);
  expect(new Set(answers.map(({ c }) => c.op)).size).toBe(ops.length);

  // Still the same process, still serving.
  expect(api.exited).toBeNull();
  expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  const cards = await fetch(`${api.url}${integrationsPath(t.master.id)}`, { headers: { authorization: `Bearer ${known.token}`, 'x-user-id': owner } });
  expect(cards.status).toBe(200);
}, 600_000);
