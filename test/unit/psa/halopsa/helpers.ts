/** Shared setup for the HaloPSA tests: a harness per file and request-log helpers. */
import type { LogEntry } from '../../../../sims/common/server';
import { createHaloPsaHarness } from '../harness/halopsa';
import type { HaloPsaSimOptions } from '../../../../sims/halopsa';

export function useHalo(simOptions: HaloPsaSimOptions = {}) {
  const h = createHaloPsaHarness(simOptions);
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  return h;
}

/** "METHOD /path" of each logged request, lower-cased path, without the query. */
export const calls = (log: readonly LogEntry[]): string[] => log.map((e) => `${e.method} ${e.path.toLowerCase()}`);

/** Requests to the API proper (token requests excluded). */
export const apiCalls = (log: readonly LogEntry[]): string[] => calls(log).filter((c) => !c.endsWith('/auth/token'));

export { caught } from '../harness/caught';
