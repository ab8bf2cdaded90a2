/**
 * The integration lifecycle's recorded histories (connect with compensation, mappings, health,
 * revoke, continue-as-new) replay against today's workflow code; any error fails the build.
 * Re-record with `RECORD_HISTORIES=1 npx jest test/workflow/integration-record`.
 */
import { historyFiles, replayFiles } from './histories';

jest.setTimeout(120_000);

test('integration lifecycle histories replay without a determinism error', async () => {
  const files = historyFiles('integration-');
  expect(files.length).toBeGreaterThanOrEqual(3);
  const outcomes = await replayFiles(files);
  expect(outcomes).toHaveLength(files.length);
  expect(outcomes.filter((o) => o.error)).toEqual([]);
});
