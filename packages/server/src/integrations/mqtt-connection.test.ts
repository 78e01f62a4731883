/** Connection options and credential handling (no broker needed). */
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { integrationMetrics } from './metrics.js';
import { clientOptions, redactBrokerUrl, redactMessage, splitCredentials } from './mqtt-connection.js';

const base = {
  name: 'openeye',
  clientId: 'openeye-openeye',
  subscriptions: [],
  log: pino({ level: 'silent' }),
  metrics: integrationMetrics(new Registry()),
};

describe('MQTT connection options', () => {
  it('takes the credentials out of the URL (decoded), else from the settings', () => {
    expect(splitCredentials({ url: 'mqtt://u%40x:p%3Ass@host:1883' })).toEqual({
      url: 'mqtt://host:1883',
      username: 'u@x',
      password: 'p:ss',
    });
    expect(splitCredentials({ url: 'mqtts://host:8883', username: 'a', password: 'b' })).toMatchObject({
      url: 'mqtts://host:8883',
      username: 'a',
      password: 'b',
    });
  });

  it('a persistent session: MQTT 5, no clean start, a session expiry, our reconnects; the last will', () => {
    const { url, options } = clientOptions({
      ...base,
      endpoint: { url: 'mqtt://u:secret@host:1883' },
      persistent: true,
      will: { topic: 'openeye/status', payload: 'offline', retain: true, qos: 1 },
    });
    expect(url).not.toContain('secret');
    expect(options).toMatchObject({
      protocolVersion: 5,
      clientId: 'openeye-openeye',
      clean: false,
      properties: { sessionExpiryInterval: 86_400 },
      reconnectPeriod: 0,
      username: 'u',
      password: 'secret',
      will: { topic: 'openeye/status', retain: true, qos: 1 },
    });
    expect(clientOptions({ ...base, endpoint: { url: 'mqtt://h' }, persistent: false }).options.clean).toBe(true);
  });

  it('never shows a password', () => {
    expect(redactBrokerUrl('mqtt://user:hunter22@host:1883/?x=1')).toBe('mqtt://user:****@host:1883/');
    expect(redactMessage('Connection refused: hunter22 is wrong', { url: 'mqtt://u:hunter22@h' })).toBe(
      'Connection refused: [redacted] is wrong',
    );
    expect(redactMessage('bad pw s3cr3t', { url: 'mqtt://h', password: 's3cr3t' })).toBe('bad pw [redacted]');
  });
});
