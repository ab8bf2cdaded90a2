/**
 * The recorded service-ticket runs (raise → debounced note → close → reopen on flapping → close;
 * and an unmapped organization) replay against today's workflow code without a determinism error.
 */
import { historyFiles, replayFiles } from './histories';

jest.setTimeout(120_000);

test('service-ticket histories replay cleanly', async () => {
  const files = historyFiles('service-ticket-');
  expect(files.map((f) => f.split('/').pop()).sort()).toEqual(['service-ticket-lifecycle.json', 'service-ticket-unmapped.json']);
  const outcomes = await replayFiles(files);
  expect(outcomes.filter((o) => o.error)).toEqual([]);
});

test('the lifecycle history holds the whole episode: open, note, close, reopen, close', async () => {
  const [file] = historyFiles('service-ticket-lifecycle');
  const history = JSON.parse(require('node:fs').readFileSync(file as string, 'utf8'));
  const activities = history.events
    .filter((e: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }) => e.activityTaskScheduledEventAttributes)
    .map((e: { activityTaskScheduledEventAttributes: { activityType: { name: string } } }) => e.activityTaskScheduledEventAttributes.activityType.name);
  expect(activities).toEqual(['openServiceTicket', 'addServiceTicketNote', 'closeServiceTicket', 'reopenServiceTicket', 'closeServiceTicket']);
});
