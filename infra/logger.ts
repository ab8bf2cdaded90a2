/**
 * JSON lines on pino. Values under keys that look secret are replaced before anything is
 * written, however deep they sit, so a careless `log.info('…', { credentials })` cannot leak
 * them. pino's own path-based `redact` needs every path spelled out; a key pattern catches the
 * paths nobody thought of, so the redaction runs in pino's log formatter instead.
 *
 * Lines look like `{"level":"info","at":"…","component":"api","message":"…",…meta}`.
 */
import pino from 'pino';
import type { Logger } from '../activities/deps';

const SECRET_KEY = /secret|password|private|token|authorization|credential|apikey|api_key|signature|cookie/i;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

/**
 * A logger for one component. `write` receives each line without its newline (tests keep them
 * in memory); by default lines go to stdout synchronously, so none is lost when a process exits.
 */
export function createLogger(component: string, level: LogLevel = 'info', write?: (line: string) => void): Logger {
  const destination = write ? { write: (chunk: string) => write(chunk.replace(/\n$/, '')) } : pino.destination({ dest: 1, sync: true });
  const base = pino(
    {
      level,
      base: { component },
      messageKey: 'message',
      // Errors are reduced to name and message by `redact` (stacks and causes can carry secrets).
      serializers: { err: (v: unknown) => v },
      timestamp: () => `,"at":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redact(object) as Record<string, unknown>,
      },
    },
    destination,
  );
  const emit = (lvl: LogLevel) => (message: string, meta?: Record<string, unknown>) => (meta ? base[lvl](meta, message) : base[lvl](message));
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
