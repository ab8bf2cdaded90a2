/**
 * Shared pieces of the ticket tests: a worker on its own task queue with a short ticket policy
 * and a recording platform-callback endpoint, an alerts client bound to it, and polling waits.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createAlertsClient, type AlertsClient } from '../../client/alerts';
import type { Stack } from '../helpers/stack';
import { uniqueTaskQueue } from '../helpers/env';
import type { Problem, TicketPolicy } from '../../workflows/ticket-messages';
import type { CreateWorkerOptions } from '../../worker/create-worker';

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
