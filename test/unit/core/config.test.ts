import { ConfigError, ENV_NAMES, loadConfig } from '../../../config/env';

test('embedded defaults give a complete development config', () => {
  const c = loadConfig({});
  expect(c.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/psa_sync');
  expect(c.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
  expect(c.API_PORT).toBe(8080);
  expect(c.PSA_ALLOW_PRIVATE_NETWORKS).toBe(false);
});

test('every bad value is reported at once, by name', () => {
  let err: unknown;
  try {
    loadConfig({ API_PORT: 'eighty', DATABASE_URL: 'mysql://x/y', PSA_ALLOW_HTTP: 'maybe', ENCRYPTION_KEYS: 'k:c2hvcnQ=' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const problems = (err as ConfigError).problems.join('\n');
  for (const name of ['API_PORT', 'DATABASE_URL', 'PSA_ALLOW_HTTP', 'ENCRYPTION_KEYS']) expect(problems).toContain(name);
});

test('production refuses public development secrets and missing keys', () => {
  expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ENCRYPTION_KEYS: is required in production/);
  expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CODEC_AUTH_TOKEN/);
});

test('keys parse into 32-byte buffers and the active key must exist', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  expect(Object.keys(loadConfig({ ENCRYPTION_KEYS: `a:${key},b:${key}` }).ENCRYPTION_KEYS ?? {})).toEqual(['a', 'b']);
  expect(() => loadConfig({ ENCRYPTION_KEYS: `a:${key}`, ACTIVE_KEY_ID: 'zz' })).toThrow(/ACTIVE_KEY_ID/);
  expect(ENV_NAMES).toContain('DATABASE_URL');
});
