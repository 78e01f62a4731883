import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  describeConfig,
  environmentHelp,
  loadConfig,
  maskUrlCredentials,
  maskUrlPassword,
  resolveConfig,
  SETTING_LIST,
} from './config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      databaseUrl: null,
      adminUsername: 'admin',
      maxConnectionsPerUser: 5,
      broadcastIntervalMs: 5000,
      heartbeatIntervalMs: 30000,
      maxMessageBytes: 65536,
      maxBufferedBytes: 1048576,
      logLevel: 'info',
      tokenLifetimeSeconds: 3600,
    });
    expect(c.dataDir).toMatch(/data$/);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres/],
    [{ OPENEYE_JWT_SECRET: 'short' }, /at least 32/],
    [{ OPENEYE_TIMEZONE: 'Mars/Olympus' }, /not a known IANA time zone/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ OPENEYE_ALLOWED_ORIGINS: 'example.com' }, /must be origins/],
    [{ OPENEYE_TLS_CERT: '/x.pem' }, /must be given together/],
    [{ OPENEYE_WEBSOCKET_ENABLED: 'maybe' }, /true or false/],
  ])('refuses %o with a clear message', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads lists and booleans', () => {
    const c = loadConfig({
      OPENEYE_ALLOWED_ORIGINS: 'https://a.example, http://b.example:8080',
      OPENEYE_WEBSOCKET_ENABLED: 'off',
    });
    expect(c.allowedOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
    expect(c.websocketEnabled).toBe(false);
  });

  it('reads OPENEYE_TRUST_PROXY as Fastify trustProxy: a boolean or a list of addresses and ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ OPENEYE_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ OPENEYE_TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ OPENEYE_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    expect(loadConfig({ OPENEYE_TRUST_PROXY: '10.0.0.0/255.0.0.0' }).trustProxy).toEqual(['10.0.0.0/255.0.0.0']);
    for (const bad of ['proxy.example', '10.0.0.0/33', '::1/129', ',']) {
      expect(() => loadConfig({ OPENEYE_TRUST_PROXY: bad })).toThrow(/OPENEYE_TRUST_PROXY must be true, false or/);
    }
    // Fastify 5 trusts nobody for a hop count: refused rather than silently doing nothing.
    expect(() => loadConfig({ OPENEYE_TRUST_PROXY: '1' })).toThrow(/hop count/);
  });

  it('keeps the cross-field rules', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/REDIS_URL .*needs DATABASE_URL/);
    expect(() => loadConfig({ OPENEYE_TLS_KEY: '/k.pem' })).toThrow(/must be given together/);
    expect(
      loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://postgres@127.0.0.1/x' }).redisUrl,
    ).toBe('redis://127.0.0.1:6379');
    expect(() => loadConfig({ NATS_URL: 'nats://127.0.0.1:4222' })).toThrow(/NATS_URL .*needs DATABASE_URL/);
    const db = 'postgres://postgres@127.0.0.1/x';
    expect(loadConfig({ NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: db }).natsUrl).toBe('nats://127.0.0.1:4222');
    expect(() =>
      loadConfig({ NATS_URL: 'nats://127.0.0.1:4222', REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: db }),
    ).toThrow(/REDIS_URL and NATS_URL are both set/);
  });

  it('checks the NATS settings', () => {
    for (const bad of ['redis://127.0.0.1:6379', 'nats://', 'nats://h:4222/path', '127.0.0.1:4222']) {
      expect(() => loadConfig({ NATS_URL: bad }), bad).toThrow(/NATS_URL must be a URL like nats:\/\/host:4222/);
    }
    // A bad value is echoed with its credentials masked.
    expect(() => loadConfig({ NATS_URL: 'nats://s3cret@h:4222/x' })).toThrow(/"nats:\/\/\*\*\*\*@h:4222\/x"/);
    expect(loadConfig({}).natsPrefix).toBe('openeye');
    expect(loadConfig({ OPENEYE_NATS_PREFIX: 'team_a-1' }).natsPrefix).toBe('team_a-1');
    for (const bad of ['a.b', 'a*', 'a>', 'a b', 'x'.repeat(49)]) {
      expect(() => loadConfig({ OPENEYE_NATS_PREFIX: bad }), bad).toThrow(/OPENEYE_NATS_PREFIX may contain/);
    }
  });

  it('has one entry per Config field, each variable and flag once', () => {
    const c = loadConfig({});
    expect(SETTING_LIST.map((s) => s.key).sort()).toEqual(Object.keys(c).sort());
    const envs = SETTING_LIST.map((s) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
    const flags = SETTING_LIST.flatMap((s) => (s.flag ? [s.flag] : []));
    expect(new Set(flags).size).toBe(flags.length);
    for (const s of SETTING_LIST) expect(s.meaning.length, s.env).toBeGreaterThan(3);
  });

  it('says where each value came from: flag over environment over default; overrides on top', () => {
    const r = resolveConfig({ PORT: '9000', HOST: '0.0.0.0', LOG_LEVEL: '' }, { flags: { port: '9100' } });
    expect(r.config.port).toBe(9100);
    expect(r.sources).toMatchObject({ port: 'flag', host: 'env', logLevel: 'default' });
    expect(() => resolveConfig({}, { flags: { port: 'x' } })).toThrow(/--port must be an integer/);
    const o = resolveConfig({}, { overrides: { port: 0 } });
    expect(o.config.port).toBe(0);
    expect(o.sources.port).toBe('override');
  });

  it('masks secrets and URL passwords when describing the config', () => {
    const resolved = resolveConfig({
      OPENEYE_JWT_SECRET: 'j'.repeat(40),
      OPENEYE_ADMIN_PASSWORD: 'admin-password',
      DATABASE_URL: 'postgres://app:p%40ss:w@db.example:5432/openeye',
      REDIS_URL: 'rediss://:redis-pass@cache.example:6380/0',
    });
    const rows = describeConfig(resolved);
    const text = JSON.stringify(rows);
    for (const secret of ['jjjj', 'admin-password', 'p%40ss', 'redis-pass']) expect(text).not.toContain(secret);
    const row = (env: string) => rows.find((r) => r.env === env);
    expect(row('DATABASE_URL')).toEqual({
      env: 'DATABASE_URL',
      value: 'postgres://app:****@db.example:5432/openeye',
      source: 'env',
    });
    expect(row('REDIS_URL')?.value).toBe('rediss://:****@cache.example:6380/0');
    const nats = describeConfig(
      resolveConfig({ NATS_URL: 'nats://nats-token@bus.example:4222', DATABASE_URL: 'postgres://db.example/x' }),
    );
    expect(JSON.stringify(nats)).not.toContain('nats-token');
    expect(nats.find((r) => r.env === 'NATS_URL')?.value).toBe('nats://****@bus.example:4222');
    expect(maskUrlCredentials('nats://user:pass@bus.example:4222')).toBe('nats://****@bus.example:4222');
    expect(row('OPENEYE_JWT_SECRET')?.value).toBe('****');
    expect(row('PORT')).toEqual({ env: 'PORT', value: '8000', source: 'default' });
    expect(maskUrlPassword('postgres://postgres@127.0.0.1:5432/openeye')).toBe(
      'postgres://postgres@127.0.0.1:5432/openeye',
    );
    const unset = describeConfig(resolveConfig({}));
    expect(unset.find((r) => r.env === 'OPENEYE_JWT_SECRET')?.value).toBe('unset (generated, kept in the data dir)');
  });

  it('lists every setting in the help text', () => {
    const help = environmentHelp();
    for (const s of SETTING_LIST) expect(help).toContain(s.env);
    expect(help).toContain('PORT (--port)');
  });
});
