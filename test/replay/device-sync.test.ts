/**
 * Device-sync histories replay against today's workflow code: a plain sync, a revoke, a run that
 * went past 2,000 events before runs continued as new (it must replay as it ran, which the
 * `device-sync-continue-as-new` patch ensures), and the first and last runs of a sync that
 * continued as new. Re-record with `RECORD_HISTORIES=1 npx jest test/workflow/device-sync-record`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HISTORIES_DIR, historyFiles, replayFiles } from './histories';
import { DEVICE_SYNC_HISTORY_LIMIT } from '../../workflows/device-sync';

jest.setTimeout(120_000);

interface HistoryEvent {
  eventType: string;
  markerRecordedEventAttributes?: { markerName?: string };
  workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string };
}
const eventsOf = (name: string): HistoryEvent[] => JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, `${name}.json`), 'utf8')).events;

test('device-sync histories replay without a determinism error', async () => {
  const files = historyFiles('device-sync-');
  expect(files.map((f) => path.basename(f, '.json')).sort()).toEqual(
    expect.arrayContaining(['device-sync-continued-first', 'device-sync-continued-last', 'device-sync-long-before-continue-as-new', 'device-sync-plain', 'device-sync-revoke']),
  );
  const outcomes = await replayFiles(files);
  expect(outcomes).toHaveLength(files.length);
  expect(outcomes.filter((o) => o.error)).toEqual([]);
});

test('the histories show what they stand for', () => {
  // Recorded before the patch: one run past the limit, never continued.
  const long = eventsOf('device-sync-long-before-continue-as-new');
  expect(long.length).toBeGreaterThan(DEVICE_SYNC_HISTORY_LIMIT);
  expect(long.some((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW')).toBe(false);
  // The first run of a continued sync ends by continuing as new, behind the patch marker.
  const first = eventsOf('device-sync-continued-first');
  expect(first[first.length - 1]?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
  expect(first.some((e) => e.eventType === 'EVENT_TYPE_MARKER_RECORDED')).toBe(true);
  // The last run was started by a continuation and completed.
  const last = eventsOf('device-sync-continued-last');
  expect(last[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
  expect(last[last.length - 1]?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
});
