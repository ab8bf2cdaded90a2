import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

/** The Temporal SDK's own log lines (bundler output, worker state changes) at our level or above. */
export function installSdkRuntime(level: 'debug' | 'info' | 'warn' | 'error'): void {
  const sdkLevel = (level === 'info' ? 'WARN' : level.toUpperCase()) as LogLevel;
  Runtime.install({ logger: new DefaultLogger(sdkLevel) });
}
