import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

export interface SdkRuntimeOptions {
  /** Where the SDK's own Prometheus exporter listens (`127.0.0.1:9465`); unset = no SDK metrics. */
  metricsBindAddress?: string;
}

/**
 * The Temporal SDK's own log lines (bundler output, worker state changes) at our level or above,
 * and its worker metrics (task slots, poll and schedule-to-start latencies, sticky cache) on a
 * Prometheus exporter when asked.
 */
export function installSdkRuntime(level: 'debug' | 'info' | 'warn' | 'error', options: SdkRuntimeOptions = {}): void {
  const sdkLevel = (level === 'info' ? 'WARN' : level.toUpperCase()) as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(sdkLevel),
    ...(options.metricsBindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } } : {}),
  });
}
