/**
 * The recorded service-ticket runs (raise → debounced note → close → reopen on flapping → close;
 * and an unmapped organization) replay against today's workflow code without a determinism error:
 * from before the patches, from runs that recorded patch markers, and of today's revision.
 * Today's is re-recorded with `RECORD_HISTORIES=1 npx jest test/workflow/service-ticket-record`.
 */
import { historyFiles, replayFiles } from './histories';
import { SERVICE_TICKET_REVISION } from '../../workflows/ticket-messages';

jest.setTimeout(120_000);

test('service-ticket histories replay cleanly', async () => {
  const files = historyFiles('service-ticket-');
  expect(files.map((f) => f.split('/').pop()).sort()).toEqual([
    'service-ticket-lifecycle.json',
    'service-ticket-patched-lifecycle.json',
    `service-ticket-r${SERVICE_TICKET_REVISION}-lifecycle.json`,
    'service-ticket-unmapped.json',
  ]);
  const outcomes = await replayFiles(files);
  expect(outcomes.filter((o) => o.error)).toEqual([]);
});

test.each(['service-ticket-lifecycle', 'service-ticket-patched-lifecycle', `service-ticket-r${SERVICE_TICKET_REVISION}-lifecycle`])('%s holds the whole episode: open, note, close, reopen, close', async (name) => {
  const [file] = historyFiles(name);
  const history = JSON.parse(require('node:fs').readFileSync(file as string, 'utf8'));
  const activities = history.events
    .filter((e: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }) => e.activityTaskScheduledEventAttributes)
    .map((e: { activityTaskScheduledEventAttributes: { activityType: { name: string } } }) => e.activityTaskScheduledEventAttributes.activityType.name);
  expect(activities).toEqual(['openServiceTicket', 'addServiceTicketNote', 'closeServiceTicket', 'reopenServiceTicket', 'closeServiceTicket']);
});
