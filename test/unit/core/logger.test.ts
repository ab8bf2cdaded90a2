import { createLogger } from '../../../infra/logger';

test('values under secret-looking keys are redacted, however deep', () => {
  const lines: string[] = [];
  const log = createLogger('t', 'debug', (l) => lines.push(l));
  log.info('connect', { psa: 'halopsa', credentials: { clientSecret: 'S3NTINEL' }, nested: [{ privateKey: 'S3NTINEL' }], authorization: 'Basic S3NTINEL' });
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toContain('S3NTINEL');
  expect(JSON.parse(lines[0]!).psa).toBe('halopsa');
});

test('levels below the threshold are dropped', () => {
  const lines: string[] = [];
  const log = createLogger('t', 'warn', (l) => lines.push(l));
  log.info('quiet');
  log.error('loud');
  expect(lines.map((l) => JSON.parse(l).message)).toEqual(['loud']);
});
