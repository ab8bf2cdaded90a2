/**
 * The recorded service-ticket runs (raise → debounced note → close → reopen on flapping → close;
 * and an unmapped organization) replay against today's workflow code without a determinism error:
 * from before the patches, from runs that recorded patch markers, of revision 1 (ordinary
 * activities) and of today's revision (the PSA calls as local activities).
 * Today's is re-recorded with `RECORD_HISTORIES=1 npx jest test/workflow/service-ticket-record`.
 */
import fs from 'node:fs';
import { historyFiles, replayFiles } from './histories';
import { SERVICE_TICKET_REVISION } from '../../workflows/ticket-messages';

jest.setTimeout(120_000);

test('service-ticket histories replay cleanly', async () => {
  const files = historyFiles('service-ticket-');
  expect(files.map((f) => f.split('/').pop()).sort()).toEqual([
    'service-ticket-lifecycle.json',
    'service-ticket-patched-lifecycle.json',
    'service-ticket-r1-lifecycle.json',
    `service-ticket-r${SERVICE_TICKET_REVISION}-lifecycle.json`,
    'service-ticket-unmapped.json',
  ]);
  const outcomes = await replayFiles(files);
  expect(outcomes.filter((o) => o.error)).toEqual([]);
});

const EPISODE = ['openServiceTicket', 'addServiceTicketNote', 'closeServiceTicket', 'reopenServiceTicket', 'closeServiceTicket'];

type HistoryJson = { events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } }; markerRecordedEventAttributes?: { markerName: string } }[] };
const historyOf = (name: string): HistoryJson => JSON.parse(fs.readFileSync(historyFiles(name)[0] as string, 'utf8'));

test.each(['service-ticket-lifecycle', 'service-ticket-patched-lifecycle', 'service-ticket-r1-lifecycle'])('%s holds the whole episode as activities: open, note, close, reopen, close', (name) => {
  expect(historyOf(name).events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType.name ?? [])).toEqual(EPISODE);
});

test(`service-ticket-r${SERVICE_TICKET_REVISION}-lifecycle holds the same episode as local activities`, () => {
  const { events } = historyOf(`service-ticket-r${SERVICE_TICKET_REVISION}-lifecycle`);
  expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
  expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(EPISODE.length);
});
