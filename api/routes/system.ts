/**
 * Liveness and the Temporal payload codec endpoint. The Web UI posts encoded payloads to
 * `/codec/decode` (Temporal's remote-codec protocol: `{payloads:[{metadata,data}]}` with
 * base64 fields) and shows the decrypted JSON to ops. It is behind the codec token, given
 * either as a bearer token or as the path segment of a capability URL for UIs that cannot
 * send headers.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec } from '../../security/codec';
import { route, safeEqual, Unauthenticated, type RouteDef } from '../http';
import type { ApiDeps } from '../deps';

const wirePayload = z.object({ metadata: z.record(z.string(), z.string()).default({}), data: z.string().default('') });
const codecBody = z.object({ payloads: z.array(wirePayload) });

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
        ...(withPathToken ? { params: z.object({ token: z.string() }) } : {}),
        async handler({ body, headers, params }) {
          checkCodecToken(headers, withPathToken ? (params as { token: string }).token : undefined);
          const payloads = body.payloads.map(fromWire);
          const out = op === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
          return { body: { payloads: out.map(toWire) } };
        },
      }),
    );
  return [
    route({
      method: 'GET',
      path: '/healthz',
      summary: 'Liveness: the API answers and PostgreSQL is reachable',
      tags: ['ops'],
      auth: 'none',
      async handler() {
        await sql`select 1`.execute(deps.db);
        return { body: { ok: true } };
      },
    }),
    ...codecRoutes('/codec', false),
    ...codecRoutes('/codec/t/:token', true),
  ];
}
