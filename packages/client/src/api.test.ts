import { isRestErrorCode, REST_ERRORS, type RestErrorCode } from '@openeye/protocol/errors';
import { describe, expect, it } from 'vitest';
import { ApiError, OpenEyeApi } from './index.js';

function recorder(answer: () => Response | Promise<Response>) {
  const calls: { url: string; method: string; headers: Headers; body: string | null }[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : null,
    });
    return answer();
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('OpenEyeApi', () => {
  it('sends the bearer token from getToken and JSON bodies', async () => {
    const r = recorder(() => new Response(JSON.stringify({ id: 3, name: 'Door' }), { status: 201 }));
    const api = new OpenEyeApi({ baseUrl: 'http://h.test/', getToken: async () => 'abc', fetch: r.fetch });
    await expect(api.createCamera({ name: 'Door' })).resolves.toEqual({ id: 3, name: 'Door' });
    expect(r.calls[0]).toMatchObject({ url: 'http://h.test/api/cameras', method: 'POST', body: '{"name":"Door"}' });
    expect(r.calls[0]?.headers.get('authorization')).toBe('Bearer abc');
    expect(r.calls[0]?.headers.get('content-type')).toBe('application/json');
  });

  it('builds the events query and sends no token to login', async () => {
    const r = recorder(() => new Response('{}', { status: 200 }));
    const api = new OpenEyeApi({ baseUrl: 'http://h.test', getToken: () => 'abc', fetch: r.fetch });
    await api.events({ after: '12', limit: 1000, types: ['camera_event', 'alert'] });
    await api.events();
    await api.login('admin', 'pw');
    expect(r.calls[0]?.url).toBe('http://h.test/api/events?after=12&limit=1000&types=camera_event%2Calert');
    expect(r.calls[1]?.url).toBe('http://h.test/api/events');
    expect(r.calls[2]?.headers.get('authorization')).toBeNull();
  });

  it('throws ApiError {status, code, message, field} on a non-2xx answer', async () => {
    const r = recorder(
      () =>
        new Response(JSON.stringify({ error: 'validation_failed', message: 'name is required', field: 'name' }), {
          status: 400,
        }),
    );
    const api = new OpenEyeApi({ baseUrl: 'http://h.test', fetch: r.fetch });
    const error = await api.createPerson({ name: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: 'validation_failed', message: 'name is required', field: 'name' });
  });

  it("passes the server's code through: one of the catalogue, or one this client does not know", async () => {
    const answer = (error: string, status: number) =>
      new OpenEyeApi({
        baseUrl: 'http://h.test',
        fetch: recorder(() => new Response(JSON.stringify({ error, message: 'm' }), { status })).fetch,
      });
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => expect.unreachable('the call should have failed'),
        (e: unknown) => e as ApiError,
      );
    const gone = await failure(answer('gone', 410).events({ after: '1' }));
    expect(gone).toMatchObject({ status: 410, code: 'gone' });
    expect(isRestErrorCode(gone.code)).toBe(true);
    expect(REST_ERRORS[gone.code as RestErrorCode].status).toBe(gone.status);
    const future = await failure(answer('quota_exceeded', 429).statistics());
    expect(future).toMatchObject({ status: 429, code: 'quota_exceeded' });
    expect(typeof future.code).toBe('string');
    expect(isRestErrorCode(future.code)).toBe(false);
  });

  it('uses http_<status> when the body has no code, and network_error with status 0 when fetch fails', async () => {
    const api410 = new OpenEyeApi({
      baseUrl: 'http://h.test',
      fetch: recorder(() => new Response('', { status: 410 })).fetch,
    });
    await expect(api410.events({ after: '1' })).rejects.toMatchObject({ status: 410, code: 'http_410' });
    const down = new OpenEyeApi({
      baseUrl: 'http://h.test',
      fetch: recorder(() => Promise.reject(new TypeError('fetch failed'))).fetch,
    });
    await expect(down.statistics()).rejects.toMatchObject({ name: 'ApiError', status: 0, code: 'network_error' });
  });

  it('returns undefined for an empty 204 answer', async () => {
    const api = new OpenEyeApi({
      baseUrl: 'http://h.test',
      fetch: recorder(() => new Response(null, { status: 204 })).fetch,
    });
    await expect(api.deleteCamera(4)).resolves.toBeUndefined();
  });
});
