/**
 * The recorded service-ticket runs (raise → debounced note → close → reopen on flapping → close,
 * recorded before and after the safety polls were spread; and an organization mapped to no PSA)
 * replay against today's workflow code without a determinism error. Re-recorded with `RECORD_HISTORIES=1 npx jest test/workflow/service-ticket-record`.
 */
import fs from 'node:fs';
import { historyFiles, replayFiles } from './histories';

jest.setTimeout(120_000);

test('service-ticket histories replay cleanly', async () => {
  const files = historyFiles('service-ticket-');
  expect(files.map((f) => f.split('/').pop()).sort()).toEqual(['service-ticket-lifecycle-before-spread-safety-polls.json', 'service-ticket-lifecycle.json', 'service-ticket-unmapped.json']);
  const outcomes = await replayFiles(files);
  expect(outcomes).toHaveLength(files.length);
  expect(outcomes.filter((o) => o.error)).toEqual([]);
});

type HistoryJson = {
  events: {
    activityTaskScheduledEventAttributes?: { activityType: { name: string } };
    markerRecordedEventAttributes?: { markerName: string };
    upsertWorkflowSearchAttributesEventAttributes?: { searchAttributes?: { indexedFields?: Record<string, unknown> } };
  }[];
};
const historyOf = (name: string): HistoryJson => JSON.parse(fs.readFileSync(historyFiles(name)[0] as string, 'utf8'));
const localActivities = (h: HistoryJson) => h.events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
const scheduled = (h: HistoryJson) => h.events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType.name ?? []);
const patchMarkers = (h: HistoryJson) => h.events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
const changeVersionUpserts = (h: HistoryJson) => h.events.filter((e) => 'TemporalChangeVersion' in (e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}));

test('the lifecycle histories hold the whole episode and its PSA calls as local activities; only the new one carries the poll-spread patch', () => {
  const before = historyOf('service-ticket-lifecycle-before-spread-safety-polls');
  const after = historyOf('service-ticket-lifecycle.json');
  for (const h of [before, after]) {
    // open, note, close, reopen, close
    expect(localActivities(h)).toBe(5);
    expect(scheduled(h)).toEqual([]);
  }
  expect(patchMarkers(before)).toEqual([]);
  expect(changeVersionUpserts(before)).toEqual([]);
  expect(patchMarkers(after)).toHaveLength(1);
  const patchData = (patchMarkers(after)[0]?.markerRecordedEventAttributes as { details?: Record<string, { payloads?: { data?: string }[] }> } | undefined)?.details?.['patch-data']?.payloads?.[0]?.data;
  expect(JSON.parse(Buffer.from(patchData ?? '', 'base64').toString('utf8'))).toMatchObject({ id: 'service-ticket-spread-safety-polls' });
  expect(changeVersionUpserts(after)).toHaveLength(1);
});

test('the unmapped history asks once where the tickets go and records the skip in that call', () => {
  const h = historyOf('service-ticket-unmapped');
  expect(localActivities(h)).toBe(1);
  expect(scheduled(h)).toEqual([]);
});
