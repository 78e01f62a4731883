import { expect, it } from 'vitest';
import { startTestServer } from '../src/testing.js';
import { rawRequest, upgradeLines } from './hardening/raw.js';
import { api, connect } from './helpers.js';

it('probe', async () => {
  const t = await startTestServer({
    env: { OPENEYE_ALLOWED_ORIGINS: 'https://app.example.com', OPENEYE_HEADERS_TIMEOUT_MS: '1500' },
  });
  const viewer = await t.tokenFor('poller', 'viewer');
  const out: string[] = [];
  for (const path of [
    `/api/events?after=${'9'.repeat(40)}`,
    `/api/events?types=${'alert,'.repeat(1700)}alert`,
    '/api/events?after[]=1&after[]=2',
    '/api/events?after=1&after=2',
    '/api/events?__proto__[x]=1',
  ]) {
    const r = await api(t.url, 'GET', path, viewer);
    out.push(`${path.slice(0, 60)} -> ${r.status} ${r.text.slice(0, 150)}`);
  }
  const wsPath = `/api/ws/statistics?token=${encodeURIComponent(viewer)}`;
  const cases: Array<[string, string[]]> = [
    [
      '2000 headers',
      upgradeLines(
        wsPath,
        Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`),
      ),
    ],
    ['16KB proto', upgradeLines(wsPath, [`Sec-WebSocket-Protocol: ${' '.repeat(16 * 1024)}x`])],
    ['15KB proto', upgradeLines(wsPath, [`Sec-WebSocket-Protocol: a${' '.repeat(15 * 1000)}b`])],
    ['ext constructor', upgradeLines(wsPath, ['Sec-WebSocket-Extensions: constructor'])],
    ['ext proto', upgradeLines(wsPath, ['Sec-WebSocket-Extensions: __proto__; constructor=1, toString'])],
    ['POST', ['POST /api/ws/statistics HTTP/1.1', ...upgradeLines(wsPath).slice(1), 'Content-Length: 0']],
  ];
  for (const [name, lines] of cases) {
    const raw = await rawRequest(t.port, lines).then(
      (r) => r,
      (e) => e,
    );
    out.push(`${name}: ${raw instanceof Error ? raw.message : raw.response.status}`);
    if (!(raw instanceof Error)) raw.destroy();
  }
  const sentinel = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRU5USU5FTHh5eiJ9.SENTINELsig';
  for (const [name, lines] of [
    ['evil origin', upgradeLines(`/api/ws/statistics?token=${sentinel}`, ['Origin: https://evil.example'])],
    ['other path', upgradeLines(`/api/ws/other?token=${sentinel}`)],
    ['short key', upgradeLines(`/api/ws/statistics?token=${sentinel}`, [], { key: 'short' })],
    ['proto', upgradeLines(`/api/ws/statistics?token=${sentinel}`, [`Sec-WebSocket-Protocol: ${sentinel}`])],
    ['bad header line', [`GET /api/events?token=${viewer} HTTP/1.1`, 'Host: x', 'Bad Header Line']],
    ['20KB header', [`GET /api/events?token=${viewer} HTTP/1.1`, 'Host: x', `X-Big: ${'a'.repeat(20_000)}`]],
  ] as Array<[string, string[]]>) {
    const raw = await rawRequest(t.port, lines).then(
      (r) => r,
      (e) => e,
    );
    out.push(`sentinel ${name}: ${raw instanceof Error ? raw.message : raw.response.status}`);
    if (!(raw instanceof Error)) raw.destroy();
  }
  const c = connect(t.url, { token: viewer });
  await c.next('connection_status');
  c.send(JSON.stringify({ type: 'x'.repeat(10 * 1024) }));
  out.push(`10KB type: ${JSON.stringify(await c.next('error')).slice(0, 200)}`);
  c.close();
  const producer = await t.tokenFor('probe-producer', 'producer');
  for (const value of ['abc', {}, null, 1.5, 999_999]) {
    const r = await api(t.url, 'POST', '/api/alerts', producer, {
      alert_type: 'info',
      message: 'probe',
      data: { camera_id: value },
    });
    out.push(`camera_id ${JSON.stringify(value)}: ${r.status} ${r.text}`);
  }
  console.log(`PROBE\n${out.join('\n')}`);
  await t.close();
  expect(1).toBe(1);
});
