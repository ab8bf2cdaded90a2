/**
 * Shared pieces of the ticket tests: a worker on its own task queue with a short ticket policy
 * and a recording platform-callback endpoint, an alerts client bound to it, polling waits, and
 * what a technician does in each PSA through its API (as another user than ours).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createAlertsClient, type AlertsClient } from '../../client/alerts';
import type { Sims, Stack } from '../helpers/stack';
import { uniqueTaskQueue } from '../helpers/env';
import type { PsaKind } from '../../psa/core/types';
import type { Problem, TicketPolicy } from '../../workflows/ticket-messages';
import type { CreateWorkerOptions } from '../../worker/create-worker';
import { SEED_CREDENTIALS as CW, TECHNICIAN_API_KEYS } from '../../sims/connectwise';
import { TECHNICIAN_APP_CREDENTIALS } from '../../sims/halopsa';

export const FAST_POLICY: TicketPolicy = {
  debounceMs: 1_500,
  flapWindowMs: 4_000,
  catchUpWindowMs: 60_000,
  pollIntervalMs: 60_000,
  outageRetryMs: 500,
};

export interface PlatformEndpoint {
  url: string;
  calls: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Stands in for the platform's callback URL and records what it is told. */
export async function startPlatformEndpoint(): Promise<PlatformEndpoint> {
  const calls: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({ ...JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'), idempotencyKey: req.headers['idempotency-key'] });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts/reset`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface TicketRig {
  alerts: AlertsClient;
  taskQueue: string;
  platform: PlatformEndpoint;
  stop(): Promise<void>;
}

export async function startTicketRig(stack: Stack, policy: Partial<TicketPolicy> = {}, wrapActivities?: CreateWorkerOptions['wrapActivities']): Promise<TicketRig> {
  const platform = await startPlatformEndpoint();
  const taskQueue = uniqueTaskQueue('tickets');
  const worker = await stack.temporal.startWorker(taskQueue, { ...stack.deps, platformCallbackUrl: platform.url }, wrapActivities);
  const alerts = createAlertsClient({ db: stack.db, temporal: stack.client, taskQueue, policy: { ...FAST_POLICY, ...policy } });
  return {
    alerts,
    taskQueue,
    platform,
    async stop() {
      await worker.stop();
      await platform.close();
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function alertEvent(organizationId: string, problem: Problem, event: 'raised' | 'recovered', at = new Date()) {
  return { eventId: `evt-${randomUUID()}`, organizationId, problem, event, occurredAt: at.toISOString() };
}

async function call(url: string, init: { method: string; headers: Record<string, string>; body: string; ca?: string }): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(target, { method: init.method, headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) }, ...(init.ca ? { ca: init.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

async function ok(what: string, res: Promise<{ status: number; body: string }>): Promise<string> {
  const r = await res;
  if (r.status < 200 || r.status > 299) throw new Error(`${what} answered ${r.status}: ${r.body}`);
  return r.body;
}

/**
 * A technician closes the ticket with `closedStatus` through the PSA's own API, signed in as
 * someone other than our API user: ConnectWise with her member's API keys, Autotask by an
 * integration impersonating her resource, HaloPSA through another tool's application that logs
 * in as her agent. The PSA then calls its subscribers as it does for any change by others.
 */
export async function technicianClosesThroughApi(psa: PsaKind, sims: Sims, psaTicketId: string, closedStatus: string): Promise<void> {
  const json = { 'content-type': 'application/json' };
  switch (psa) {
    case 'connectwise': {
      const cw = sims.connectwise;
      const basic = Buffer.from(`${CW.companyId}+${TECHNICIAN_API_KEYS.publicKey}:${TECHNICIAN_API_KEYS.privateKey}`).toString('base64');
      await ok(
        'ConnectWise PATCH ticket',
        call(`${cw.url}/${cw.state.data.codebase}apis/3.0/service/tickets/${psaTicketId}`, {
          method: 'PATCH',
          headers: { ...json, authorization: `Basic ${basic}`, clientid: CW.clientId },
          body: JSON.stringify([{ op: 'replace', path: 'status', value: { id: Number(closedStatus) } }]),
          ca: cw.ca,
        }),
      );
      return;
    }
    case 'autotask': {
      const at = sims.autotask;
      const user = at.state.seed.apiUser;
      await ok(
        'Autotask PATCH Tickets',
        call(`${at.url}/ATServicesRest/V1.0/Tickets`, {
          method: 'PATCH',
          headers: { ...json, ApiIntegrationCode: user.integrationCode, UserName: user.userName, Secret: user.secret, ImpersonationResourceId: String(at.state.seed.technician.id) },
          body: JSON.stringify({ id: Number(psaTicketId), status: Number(closedStatus) }),
        }),
      );
      return;
    }
    case 'halopsa': {
      const halo = sims.halopsa;
      const tenant = halo.state.tenant === null ? '' : `?tenant=${encodeURIComponent(halo.state.tenant)}`;
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: TECHNICIAN_APP_CREDENTIALS.clientId, client_secret: TECHNICIAN_APP_CREDENTIALS.clientSecret, scope: 'all' });
      const token = JSON.parse(
        await ok('HaloPSA token', call(`${halo.url}/auth/token${tenant}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })),
      ) as { access_token: string };
      await ok(
        'HaloPSA POST Actions',
        call(`${halo.url}/api/Actions`, {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${token.access_token}` },
          body: JSON.stringify([{ ticket_id: Number(psaTicketId), outcome: 'Resolved', note: 'Fixed on site; closing.', new_status: Number(closedStatus) }]),
        }),
      );
      return;
    }
  }
}

/** The PSA's status id on the ticket, as the engine stores mapping values (a string). */
export function psaStatusOf(psa: PsaKind, sims: Sims, psaTicketId: string): string {
  switch (psa) {
    case 'connectwise':
      return String(sims.connectwise.state.ticket(Number(psaTicketId)).status.id);
    case 'autotask':
      return String(sims.autotask.state.ticket(Number(psaTicketId)).status);
    case 'halopsa':
      return String(sims.halopsa.state.ticket(Number(psaTicketId))?.status_id);
  }
}

/** The PSA's calls to our webhook URL about the ticket, with the status we answered. */
export function webhookDeliveries(psa: PsaKind, sims: Sims, psaTicketId: string): { url: string; status: number | string }[] {
  switch (psa) {
    case 'connectwise':
      return sims.connectwise.state.dispatcher.deliveries.filter((d) => d.ticketId === Number(psaTicketId)).map((d) => ({ url: d.url, status: d.status }));
    case 'autotask':
      return sims.autotask.state.deliveries.filter((d) => (JSON.parse(d.body) as { Id: number }).Id === Number(psaTicketId)).map((d) => ({ url: d.url, status: d.status }));
    case 'halopsa':
      return sims.halopsa.state.webhooks.deliveries.filter((d) => d.objectId === Number(psaTicketId)).map((d) => ({ url: d.url, status: d.status }));
  }
}
