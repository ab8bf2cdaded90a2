/**
 * Every committed history must replay against today's workflow code without a determinism
 * error — a change that would break running workflows fails here before it ships.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFiles, replayFiles } from './histories';
import { REPLAY_KEYS } from './keys';
import { KeyRing } from '../../security/crypto';

jest.setTimeout(120_000);

test('all recorded histories replay cleanly', async () => {
  const files = historyFiles('');
  expect(files.length).toBeGreaterThan(0);
  const outcomes = await replayFiles(files);
  expect(outcomes.filter((o) => o.error)).toEqual([]);
  expect(outcomes).toHaveLength(files.length);
});

test('a history that no longer matches the code is reported as a determinism error', async () => {
  // Pretend the recorded run scheduled a different activity than today's code does.
  const source = historyFiles('system-check')[0] as string;
  const history = JSON.parse(fs.readFileSync(source, 'utf8'));
  const scheduled = history.events.find((e: { activityTaskScheduledEventAttributes?: unknown }) => e.activityTaskScheduledEventAttributes);
  scheduled.activityTaskScheduledEventAttributes.activityType.name = 'someOtherActivity';
  const tmp = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'replay-')), 'tampered.json');
  fs.writeFileSync(tmp, JSON.stringify(history));
  const [outcome] = await replayFiles([tmp]);
  expect(outcome?.error).toMatch(/DeterminismViolation|[Nn]ondetermin/);
  expect(REPLAY_KEYS).toBeInstanceOf(KeyRing);
});
