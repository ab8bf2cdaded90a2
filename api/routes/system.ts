/**
 * Health and the Temporal payload codec endpoint. `/healthz` answers 200 only while PostgreSQL
 * and Temporal both answer (each within 2 s), else 503. The Web UI posts encoded payloads to
 * `/codec/decode` (Temporal's remote-codec protocol: `{payloads:[{metadata,data}]}` with
 * base64 fields) and shows the decrypted JSON to ops. It is behind the codec token, given
 * either as a bearer token or as the path segment of a capability URL for UIs that cannot
 * send headers. A payload that does not decrypt is a 400 naming it.
 */
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec } from '../../security/codec';
import { pingDatabase } from '../../db/repositories/system';
import { InvalidInput, type FieldIssue } from '../../domain/errors';
import { safeKey, safeText } from '../../domain/input';
import { route, safeEqual, Unauthenticated, type RouteDef } from '../http';
import { RequestRefused } from '../errors';
import type { ApiDeps } from '../deps';
import { metricsRoutes } from './metrics';

const HEALTH_TIMEOUT_MS = 2000;

const wirePayload = z
  .object({ metadata: z.record(safeKey(100), z.base64()).default({}), data: z.base64().default('') })
  .strict();
const codecBody = z.object({ payloads: z.array(wirePayload).max(1000) }).strict();

/** Resolves true when `check` succeeds within the timeout, false otherwise (a check given a deadline ends before it). */
async function answers(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS)));
  try {
    return await Promise.race([Promise.resolve().then(check).then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const fromWire = (p: z.infer<typeof wirePayload>): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const toWire = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function systemRoutes(deps: ApiDeps): RouteDef[] {
  const codec = new EncryptionCodec(deps.keys);
  const checkCodecToken = (headers: Record<string, unknown>, pathToken?: string) => {
    const header = String(headers.authorization ?? '');
    const token = pathToken ?? (header.startsWith('Bearer ') ? header.slice(7) : '');
    if (!safeEqual(token, deps.config.CODEC_AUTH_TOKEN)) throw new Unauthenticated('A valid codec token is required');
  };
  const codecRoutes = (prefix: string, withPathToken: boolean): RouteDef[] =>
    (['decode', 'encode'] as const).map((op) =>
      route({
        method: 'POST',
        path: `${prefix}/${op}`,
        summary: `Temporal remote codec: ${op} payloads (ops only)`,
        tags: ['ops'],
        auth: 'none',
        body: codecBody,
        ...(withPathToken ? { params: z.object({ token: safeText().max(200) }) } : {}),
        async handler({ body, headers, params }) {
          checkCodecToken(headers, withPathToken ? (params as { token: string }).token : undefined);
          const out: Payload[] = [];
          const issues: FieldIssue[] = [];
          for (const [i, wire] of body.payloads.entries()) {
            try {
              const payload = fromWire(wire);
              out.push(...(op === 'decode' ? await codec.decode([payload]) : await codec.encode([payload])));
            } catch {
              issues.push({ field: `payloads.${i}`, message: op === 'decode' ? 'cannot be decrypted with our keys' : 'cannot be encoded' });
            }
          }
          if (issues.length) throw new InvalidInput(issues);
          return { body: { payloads: out.map(toWire) } };
        },
      }),
    );
  return [
    route({
      method: 'GET',
      path: '/healthz',
      summary: 'Health: 200 while PostgreSQL and Temporal answer, 503 while either does not',
      tags: ['ops'],
      auth: 'none',
      async handler() {
        const [postgres, temporal] = await Promise.all([
          answers(() => pingDatabase(deps.db)),
          answers(() => deps.temporal.connection.withDeadline(Date.now() + HEALTH_TIMEOUT_MS - 500, () => deps.temporal.workflowService.getSystemInfo({}))),
        ]);
        const down = [...(postgres ? [] : ['PostgreSQL']), ...(temporal ? [] : ['Temporal'])];
        if (down.length) throw new RequestRefused('unavailable', `${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} unreachable`);
        return { body: { ok: true } };
      },
    }),
    ...codecRoutes('/codec', false),
    ...codecRoutes('/codec/t/:token', true),
    ...metricsRoutes(deps),
  ];
}
