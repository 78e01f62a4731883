/**
 * `/api/openapi.json` from a real server: valid OpenAPI (checked by a maintained validator, which
 * also resolves every `$ref`), every operation named, summarized, tagged and secured, every error
 * status a route can answer listed with the codes behind it, named payloads as components.
 */
import { readFileSync } from 'node:fs';
import { REST_ERROR_CODES, REST_ERRORS, type RestErrorCode, type RestErrorSpec } from '@openeye/protocol';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing.js';

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  info: { version: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const ERROR_REF = '#/components/schemas/ErrorResponse';

describe('OpenAPI document', () => {
  let t: TestServer;
  let doc: Document;
  const operations: { method: string; path: string; op: Operation }[] = [];
  const op = (method: string, path: string): Operation => {
    const found = doc.paths[path]?.[method];
    if (!found) throw new Error(`no ${method.toUpperCase()} ${path} in the document`);
    return found;
  };
  const statuses = (o: Operation) => Object.keys(o.responses).map(Number);

  beforeAll(async () => {
    t = await startTestServer();
    const res = await fetch(`${t.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Document;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(item))
        if (METHODS.includes(method)) operations.push({ method, path, op: o });
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is valid OpenAPI 3 with every $ref resolvable', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.0');
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('carries the package version and describes every tag it uses', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(doc.info.version).toBe(pkg.version);
    const declared = doc.tags.map((tag) => tag.name);
    for (const { op: o } of operations) for (const tag of o.tags ?? []) expect(declared).toContain(tag);
  });

  it('names, summarizes and tags every operation; operationIds are camelCase and unique', () => {
    expect(operations.length).toBeGreaterThanOrEqual(25);
    for (const { method, path, op: o } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(o.operationId, where).toMatch(/^[a-z][a-zA-Z]+$/);
      expect(o.summary, where).toBeTruthy();
      expect(o.tags?.length, where).toBe(1);
    }
    const ids = operations.map(({ op: o }) => o.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    // Client generators name their methods after these: renaming one is a breaking change.
    expect(op('get', '/api/cameras').operationId).toBe('listCameras');
    expect(op('get', '/api/cameras/{id}').operationId).toBe('getCamera');
    expect(op('post', '/api/cameras').operationId).toBe('createCamera');
    expect(op('post', '/api/auth/login').operationId).toBe('login');
    expect(op('get', '/api/events').operationId).toBe('listEvents');
  });

  it('puts the bearer scheme on every route but login and the push action, which answer 401 for bad credentials', () => {
    for (const { method, path, op: o } of operations) {
      // Login takes a password; a push notification's Acknowledge takes the notification's action token.
      if (path === '/api/auth/login' || path === '/api/alerts/{id}/push-acknowledge') continue;
      expect(o.security, `${method.toUpperCase()} ${path}`).toEqual([{ bearer: [] }]);
      expect(statuses(o), `${method.toUpperCase()} ${path}`).toContain(401);
    }
    const login = op('post', '/api/auth/login');
    expect(login.security).toBeUndefined();
    expect(login.responses[401]?.description).toContain('`invalid_credentials`');
    expect(login.responses[401]?.description).not.toContain('`unauthorized`');
  });

  it('gives every error status the ErrorResponse body and names the codes behind it, from the catalogue', () => {
    const catalogue = REST_ERRORS as Record<RestErrorCode, RestErrorSpec>;
    for (const { method, path, op: o } of operations) {
      for (const [status, answer] of Object.entries(o.responses)) {
        if (Number(status) < 400) continue;
        const where = `${method.toUpperCase()} ${path} ${status}`;
        // An alert transition's 409 carries the alert as it is now: ErrorResponse plus `alert`.
        const conflictWithAlert = status === '409' && path.startsWith('/api/alerts/');
        if (!conflictWithAlert) expect(answer.content?.['application/json']?.schema.$ref, where).toBe(ERROR_REF);
        const codes = [...answer.description.matchAll(/`([a-z_]+)`:/g)].map((m) => m[1] as RestErrorCode);
        expect(codes.length, where).toBeGreaterThan(0);
        for (const code of codes) {
          const spec = catalogue[code];
          expect(spec, `${where}: ${code}`).toBeDefined();
          expect([spec.status, ...Object.keys(spec.also ?? {}).map(Number)], `${where}: ${code}`).toContain(
            Number(status),
          );
        }
      }
      // Any route can meet a storage outage or an unexpected failure.
      expect(statuses(o), `${method.toUpperCase()} ${path}`).toEqual(expect.arrayContaining([500, 503]));
    }
    const errorField = doc.components.schemas.ErrorResponse?.properties?.error;
    expect(errorField?.['x-extensible-enum']).toEqual(REST_ERROR_CODES);
  });

  it('lists the statuses each route really answers', () => {
    // Producers: validation, auth, role, the camera the alert names, a body too large or not JSON.
    expect(statuses(op('post', '/api/alerts'))).toEqual([201, 400, 401, 403, 404, 413, 415, 500, 503]);
    // The polling fallback: rate-limited, and 410 for a cursor older than the history.
    expect(statuses(op('get', '/api/events'))).toEqual([200, 400, 401, 410, 429, 500, 503]);
    expect(statuses(op('get', '/api/statistics'))).toEqual([200, 401, 429, 500, 503]);
    // Login: throttled (429) and busy (503, with Retry-After), never 403.
    const login = op('post', '/api/auth/login');
    expect(statuses(login)).toEqual([200, 400, 401, 413, 415, 429, 500, 503]);
    expect(login.responses[503]).toMatchObject({ headers: { 'Retry-After': { schema: { type: 'integer' } } } });
    // Accounts: a taken username and deleting yourself conflict; a change of password or role cannot.
    expect(statuses(op('post', '/api/users'))).toContain(409);
    expect(statuses(op('delete', '/api/users/{id}'))).toEqual([204, 400, 401, 403, 404, 409, 500, 503]);
    expect(statuses(op('patch', '/api/users/{id}'))).toEqual([200, 400, 401, 403, 404, 413, 415, 500, 503]);
    // Any signed-in user reads cameras: no 403; a missing one is 404.
    expect(statuses(op('get', '/api/cameras/{id}'))).toEqual([200, 400, 401, 404, 500, 503]);
    expect(statuses(op('get', '/api/ws/presence'))).toContain(403);
  });

  it('documents the form-encoded login beside JSON', () => {
    const content = op('post', '/api/auth/login').requestBody?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(content['application/x-www-form-urlencoded']?.schema.$ref).toBe('#/components/schemas/LoginRequest');
  });

  it('refers to named component schemas instead of inlining them', () => {
    const schemaOf = (o: Operation, status: number) => o.responses[status]?.content?.['application/json']?.schema;
    const ref = (name: string) => `#/components/schemas/${name}`;
    expect(schemaOf(op('get', '/api/cameras/{id}'), 200)?.$ref).toBe(ref('Camera'));
    expect(schemaOf(op('get', '/api/cameras'), 200)).toEqual({ type: 'array', items: { $ref: ref('Camera') } });
    expect(schemaOf(op('post', '/api/people'), 201)?.$ref).toBe(ref('Person'));
    expect(schemaOf(op('get', '/api/users/me'), 200)?.$ref).toBe(ref('User'));
    expect(schemaOf(op('post', '/api/alerts'), 201)?.$ref).toBe(ref('AlertMessage'));
    expect(schemaOf(op('post', '/api/cameras/{id}/events'), 201)?.$ref).toBe(ref('CameraEventMessage'));
    expect(schemaOf(op('get', '/api/events'), 200)?.$ref).toBe(ref('EventsResponse'));
    expect(schemaOf(op('get', '/api/statistics'), 200)?.$ref).toBe(ref('Statistics'));
    expect(schemaOf(op('post', '/api/auth/login'), 200)?.$ref).toBe(ref('TokenResponse'));
    expect(op('post', '/api/cameras').requestBody?.content['application/json']?.schema.$ref).toBe(
      ref('CreateCameraRequest'),
    );
    // Nested names are references too, and every component is used somewhere.
    const text = JSON.stringify(doc);
    expect(JSON.stringify(doc.components.schemas.EventsResponse)).toContain(ref('EventMessage'));
    expect(JSON.stringify(doc.components.schemas.Recognition)).toContain(ref('AlertMessage'));
    for (const name of Object.keys(doc.components.schemas)) expect(text, name).toContain(`"${ref(name)}"`);
  });
});
