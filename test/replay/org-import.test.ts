/**
 * The organization import batch's recorded history replays against today's workflow code.
 * Re-record with `RECORD_HISTORIES=1 npx jest test/workflow/org-import-record`.
 */
import { historyFiles, replayFiles } from './histories';

jest.setTimeout(120_000);

test('organization import histories replay without a determinism error', async () => {
  const files = historyFiles('org-import-');
  expect(files.length).toBeGreaterThanOrEqual(1);
  const outcomes = await replayFiles(files);
  expect(outcomes).toHaveLength(files.length);
  expect(outcomes.filter((o) => o.error)).toEqual([]);
});
