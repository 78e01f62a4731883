import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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
});
