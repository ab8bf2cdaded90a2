/**
 * psa-sync's Prometheus metrics (prom-client), one registry per process: the API serves it at
 * `GET /metrics`, each worker on its own metrics port (with the Temporal SDK's worker metrics
 * appended). What each metric is for is in the README's "Metrics" section. Counters move where
 * the work is recorded: alerts in client/alerts.ts, tickets in activities/tickets.ts, PSA calls
 * through the observer of psa/core/http.ts and psa/core/governor.ts, activity failures and
 * schedule lag in the worker's activity interceptor below.
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { setPsaObserver, type PsaObserver } from '../psa/core/observer';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const registers = [metricsRegistry];

export const metrics = {
  alertsReceived: new Counter({
    name: 'psa_sync_alerts_received_total',
    help: 'Backup alerts the platform reported, by event (raised, recovered); duplicate="true" for an event id seen before.',
    labelNames: ['event', 'duplicate'] as const,
    registers,
  }),
  ticketsOpened: new Counter({
    name: 'psa_sync_tickets_opened_total',
    help: 'PSA tickets opened for an alert, by vendor; adopted="true" when an earlier attempt had already created it.',
    labelNames: ['vendor', 'adopted'] as const,
    registers,
  }),
  ticketNotes: new Counter({
    name: 'psa_sync_ticket_notes_total',
    help: 'Notes written on PSA tickets (repeats, recoveries on tickets a technician works on), by vendor.',
    labelNames: ['vendor'] as const,
    registers,
  }),
  ticketsClosed: new Counter({
    name: 'psa_sync_tickets_closed_total',
    help: 'PSA tickets closed, by vendor and by whom: "engine" on recovery, "psa" when the PSA closed (or deleted) it first.',
    labelNames: ['vendor', 'by'] as const,
    registers,
  }),
  psaCalls: new Counter({
    name: 'psa_sync_psa_calls_total',
    help: 'HTTP requests to PSAs, by vendor, adapter operation and HTTP status ("error" when no answer came).',
    labelNames: ['vendor', 'operation', 'status'] as const,
    registers,
  }),
  psaCallSeconds: new Histogram({
    name: 'psa_sync_psa_call_duration_seconds',
    help: 'Time from sending a PSA request to its answer (governor wait excluded), by vendor and operation.',
    labelNames: ['vendor', 'operation'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  }),
  psaRateLimited: new Counter({
    name: 'psa_sync_psa_rate_limited_total',
    help: 'PSA answers 429 (rate limited), by vendor and operation; the governor then pauses the connection for Retry-After.',
    labelNames: ['vendor', 'operation'] as const,
    registers,
  }),
  governorWaitSeconds: new Histogram({
    name: 'psa_sync_governor_wait_seconds',
    help: "Time a PSA call waited for a slot in its connection's rate budget, by vendor.",
    labelNames: ['vendor'] as const,
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600],
    registers,
  }),
  activityFailures: new Counter({
    name: 'psa_sync_activity_failures_total',
    help: 'Failed activity attempts (sync steps), by activity, failure type and whether Temporal retries it.',
    labelNames: ['activity', 'type', 'retryable'] as const,
    registers,
  }),
  scheduleLag: new Histogram({
    name: 'psa_sync_schedule_lag_seconds',
    help: 'Time from an activity attempt being scheduled to a worker starting it, by activity and kind (local, remote).',
    labelNames: ['activity', 'kind'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 60, 300],
    registers,
  }),
};

/** Feeds the PSA counters from psa/core's observer. */
export const psaMetricsObserver: PsaObserver = {
  call({ vendor, operation, status, ms }) {
    metrics.psaCalls.inc({ vendor, operation, status: String(status) });
    metrics.psaCallSeconds.observe({ vendor, operation }, ms / 1000);
  },
  rateLimited({ vendor, operation }) {
    metrics.psaRateLimited.inc({ vendor, operation });
  },
  governorWait({ vendor }, ms) {
    metrics.governorWaitSeconds.observe({ vendor }, ms / 1000);
  },
};
setPsaObserver(psaMetricsObserver);

/** The failure type Temporal will see for an error thrown by an activity. */
function failureLabels(err: unknown): { type: string; retryable: 'true' | 'false' } {
  if (err instanceof ApplicationFailure) return { type: err.type ?? 'Error', retryable: err.nonRetryable ? 'false' : 'true' };
  return { type: err instanceof Error ? err.name : 'Error', retryable: 'true' };
}

/** Counts failed attempts and measures schedule lag for every activity, local ones included. */
export const activityMetricsInterceptor: ActivityInterceptorsFactory = (ctx: Context) => {
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      const info = ctx.info;
      const activity = info.activityType;
      metrics.scheduleLag.observe({ activity, kind: info.isLocal ? 'local' : 'remote' }, Math.max(0, Date.now() - info.currentAttemptScheduledTimestampMs) / 1000);
      try {
        return await next(input);
      } catch (err) {
        metrics.activityFailures.inc({ activity, ...failureLabels(err) });
        throw err;
      }
    },
  };
  return { inbound };
};

/** The exposition text of this process's registry, plus `extra` (the SDK's metrics) when given. */
export async function metricsText(extra?: () => Promise<string>): Promise<string> {
  const own = await metricsRegistry.metrics();
  if (!extra) return own;
  return `${own}\n${await extra()}`;
}

export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;

/**
 * Reads the SDK's Prometheus exporter (Runtime telemetry, bound on loopback) for the worker's
 * endpoint; an exporter that does not answer is reported as a gauge, not as a failed scrape.
 */
export function sdkMetricsReader(url: string, timeoutMs = 2_000): () => Promise<string> {
  return async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`status ${res.status}`);
      return `${await res.text()}\n# HELP psa_sync_sdk_metrics_up Whether the Temporal SDK's metrics exporter answered.\n# TYPE psa_sync_sdk_metrics_up gauge\npsa_sync_sdk_metrics_up 1\n`;
    } catch {
      return `# HELP psa_sync_sdk_metrics_up Whether the Temporal SDK's metrics exporter answered.\n# TYPE psa_sync_sdk_metrics_up gauge\npsa_sync_sdk_metrics_up 0\n`;
    }
  };
}

/** True when `authorization` carries `token` (no token configured: always true). */
export function metricsAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const header = authorization ?? '';
  if (!header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A worker's metrics endpoint: `GET /metrics` on its own port (workers serve no other HTTP),
 * behind METRICS_TOKEN when one is set.
 */
export async function startMetricsServer(opts: {
  host: string;
  port: number;
  token?: string;
  extra?: () => Promise<string>;
}): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (!metricsAuthorized(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' }).end('unauthenticated\n');
      return;
    }
    metricsText(opts.extra).then(
      (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
