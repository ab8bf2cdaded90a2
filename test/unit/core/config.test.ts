import { ConfigError, devServerWanted, ENV_NAMES, loadConfig, simulatorsWanted } from '../../../config/env';

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

test('npm start runs the simulators in development only, and production refuses them outright', () => {
  expect(simulatorsWanted(loadConfig({}))).toBe(true);
  expect(simulatorsWanted(loadConfig({ DEV_SIMULATORS: 'false' }))).toBe(false);
  expect(simulatorsWanted(loadConfig({ NODE_ENV: 'test' }))).toBe(false);
  const production = { NODE_ENV: 'production', ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`, API_TOKENS: 'a-long-production-token-1234567890', CODEC_AUTH_TOKEN: 'codec-token-long-1234567890', ALERT_WEBHOOK_SECRET: 'alert-webhook-secret-long-1234567890' };
  expect(simulatorsWanted(loadConfig(production))).toBe(false);
  expect(() => loadConfig({ ...production, DEV_SIMULATORS: 'true' })).toThrow(/DEV_SIMULATORS: the PSA simulators never run in production/);
  expect(() => loadConfig({ DEV_SIMULATORS: 'perhaps' })).toThrow(/DEV_SIMULATORS/);
});

test('npm start runs its own Temporal dev server unless TEMPORAL_ADDRESS names one; TEMPORAL_DEV_SERVER decides when set', () => {
  expect(devServerWanted(loadConfig({}), {})).toBe(true);
  expect(devServerWanted(loadConfig({ TEMPORAL_ADDRESS: '10.0.0.5:7233' }), { TEMPORAL_ADDRESS: '10.0.0.5:7233' })).toBe(false);
  expect(devServerWanted(loadConfig({ TEMPORAL_ADDRESS: '127.0.0.1:17233', TEMPORAL_DEV_SERVER: 'true' }), { TEMPORAL_ADDRESS: '127.0.0.1:17233' })).toBe(true);
  expect(devServerWanted(loadConfig({ TEMPORAL_DEV_SERVER: 'false' }), {})).toBe(false);
  expect(() => loadConfig({ TEMPORAL_DEV_SERVER: 'yes\u0000' })).toThrow(/TEMPORAL_DEV_SERVER/);
  expect(() => loadConfig({ TEMPORAL_DEV_DB: '/tmp/a\u0000b.db' })).toThrow(/TEMPORAL_DEV_DB: must be a file path/);
});
