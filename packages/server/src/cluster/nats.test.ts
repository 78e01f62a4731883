import { describe, expect, it } from 'vitest';
import { natsBuckets, natsConnectOptions, redactNatsUrl } from './nats.js';

describe('NATS URL handling', () => {
  it('hands the client the address and the credentials separately', () => {
    expect(natsConnectOptions('nats://127.0.0.1:4222')).toEqual({ servers: '127.0.0.1:4222' });
    expect(natsConnectOptions('nats://bus.example')).toEqual({ servers: 'bus.example:4222' });
    expect(natsConnectOptions('nats://app:p%40ss@bus.example:4333')).toEqual({
      servers: 'bus.example:4333',
      user: 'app',
      pass: 'p@ss',
    });
    expect(natsConnectOptions('nats://s3cret-token@bus.example:4222')).toEqual({
      servers: 'bus.example:4222',
      token: 's3cret-token',
    });
    expect(natsConnectOptions('nats://[::1]:4222')).toEqual({ servers: '[::1]:4222' });
  });

  it('masks whatever precedes the @ when the URL is shown', () => {
    expect(redactNatsUrl('nats://app:pass@bus.example:4222')).toBe('nats://****@bus.example:4222');
    expect(redactNatsUrl('nats://s3cret-token@bus.example:4222')).toBe('nats://****@bus.example:4222');
    expect(redactNatsUrl('nats://bus.example:4222')).toBe('nats://bus.example:4222');
  });

  it('names its buckets after the prefix', () => {
    expect(natsBuckets('openeye')).toEqual({ nodes: 'openeye-nodes', users: 'openeye-users', coord: 'openeye-coord' });
  });
});
