/**
 * One place that turns what a route is (who may call it: `auth`, what it reads, what can go wrong) into
 * its Fastify options: the auth hooks, and a schema whose `response` lists every status the route
 * can answer, each with the ErrorResponse body and the codes behind it, from the catalogue of
 * @openeye/protocol. Routes never write an error status by hand, so the OpenAPI document cannot
 * drift from what the guard, the validators and the handlers do.
 */
import { REST_ERRORS, type RestErrorCode, type Role } from '@openeye/protocol';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Guard, refuseApiKeys } from '../auth/guard.js';

export type Hook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The OpenAPI tags, in the order the document lists them. */
export const TAGS = {
  auth: 'Login and tokens',
  users: 'Accounts (admin), and the signed-in user',
  cameras: 'Cameras and their events',
  people: 'Known people',
  ingest: 'What producers push: recognitions and alerts',
  realtime: 'The socket’s REST face: statistics, event history, connections, broadcast',
  keys: 'API keys for machines (admin)',
  alerts: 'Alerts people act on: state, transitions, escalation rules',
  webhooks: 'Webhooks for escalated alerts, and their delivery log (admin)',
  push: 'Web Push to operators’ devices',
  media: 'Camera frames: push and the newest frame',
} as const;
export type Tag = keyof typeof TAGS;

/** Who may call a route: anyone, any signed-in user, or only these roles (others get 403). */
export type Auth = 'public' | 'user' | readonly [Role, ...Role[]];

/** Success answers: the status and its body (`Type.Null()` for 204). */
type Success = { 200: TSchema } | { 201: TSchema } | { 204: TSchema };

export interface OperationSpec<R extends Success, P, Q, B> {
  /** camelCase, stable: client generators name their methods after it. */
  operationId: string;
  summary: string;
  description?: string;
  tag: Tag;
  auth: Auth;
  params?: P;
  querystring?: Q;
  body?: B;
  /** Content types of the body, when more than JSON. */
  consumes?: readonly string[];
  response: R;
  /** Codes the handler itself can answer (`not_found`, `conflict`, ...); the rest follow from the spec. */
  errors?: readonly RestErrorCode[];
  /** A status whose error body says more than ErrorResponse (e.g. a 409 with the current state). */
  errorBodies?: Readonly<Record<number, TSchema>>;
  /** Runs after the guard; refuses with `rate_limited`. */
  rateLimit?: Hook;
  /** false: a person's own act (alerts, a token, push), refused to API keys with 403. */
  apiKeys?: false;
}

/** What every route can answer: a storage outage (503) and an unexpected failure (500). */
const ALWAYS: readonly RestErrorCode[] = ['unavailable', 'internal_error'];
/** The statuses besides 400 that `bad_request` has on a route with a body. */
const BODY_STATUSES: readonly (keyof typeof REST_ERRORS.bad_request.also)[] = [413, 415];

const ERROR_RESPONSE = 'ErrorResponse#';
type ErrorEntry = { readonly $ref: typeof ERROR_RESPONSE; readonly description: string };

/** The error codes a route can answer, in catalogue order. */
export function errorCodes(spec: {
  auth: Auth;
  params?: unknown;
  querystring?: unknown;
  body?: unknown;
  errors?: readonly RestErrorCode[];
  rateLimit?: unknown;
  apiKeys?: false;
}): RestErrorCode[] {
  const codes = new Set<RestErrorCode>([...(spec.errors ?? []), ...ALWAYS]);
  if (spec.auth !== 'public') codes.add('unauthorized');
  if (Array.isArray(spec.auth) || spec.apiKeys === false) codes.add('forbidden');
  if (spec.params || spec.querystring || spec.body) codes.add('validation_error');
  if (spec.body) codes.add('bad_request');
  if (spec.rateLimit) codes.add('rate_limited');
  return (Object.keys(REST_ERRORS) as RestErrorCode[]).filter((code) => codes.has(code));
}

/** Status -> ErrorResponse entry whose description names each code answered with that status. */
export function errorResponses(codes: readonly RestErrorCode[], hasBody: boolean): Record<number, ErrorEntry> {
  const byStatus = new Map<number, string[]>();
  const add = (status: number, line: string) => byStatus.set(status, [...(byStatus.get(status) ?? []), line]);
  for (const code of codes) {
    const spec = REST_ERRORS[code];
    add(spec.status, `\`${code}\`: ${spec.meaning}`);
    if (code === 'bad_request' && hasBody) {
      for (const status of BODY_STATUSES) add(status, `\`${code}\`: ${REST_ERRORS.bad_request.also[status]}.`);
    }
  }
  const entries: Record<number, ErrorEntry> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    entries[status] = { $ref: ERROR_RESPONSE, description: byStatus.get(status)!.join(' ') };
  }
  return entries;
}

/**
 * `operation(spec)` gives a route's `preHandler` and `schema`. The guard comes from `auth`;
 * the responses from `auth`, the input, the rate limit and `errors`.
 */
export function operations(guard: Guard) {
  const signedIn = guard();
  return function operation<
    const R extends Success,
    P extends TSchema | undefined = undefined,
    Q extends TSchema | undefined = undefined,
    B extends TSchema | undefined = undefined,
  >(spec: OperationSpec<R, P, Q, B>) {
    const { auth } = spec;
    const hooks: Hook[] = [];
    if (auth === 'user') hooks.push(signedIn);
    else if (auth !== 'public') hooks.push(guard(...auth));
    if (spec.apiKeys === false) hooks.push(refuseApiKeys);
    if (spec.rateLimit) hooks.push(spec.rateLimit);

    const schema = {
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      ...(auth === 'public' ? {} : { security: [{ bearer: [] }] }),
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.querystring ? { querystring: spec.querystring } : {}),
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.consumes ? { consumes: spec.consumes } : {}),
      response: {
        ...spec.response,
        ...withErrorBodies(errorResponses(errorCodes(spec), spec.body !== undefined), spec.errorBodies),
      },
    } as {
      operationId: string;
      summary: string;
      tags: Tag[];
      params: P;
      querystring: Q;
      body: B;
      // Handlers answer errors by throwing: only the success bodies type the reply.
      response: R;
    };
    return { preHandler: hooks.length > 0 ? hooks : undefined, schema };
  };
}

/** The error answers, with a richer body where a route has one (keeping the codes' description). */
function withErrorBodies(
  entries: Record<number, ErrorEntry>,
  bodies: Readonly<Record<number, TSchema>> | undefined,
): Record<number, ErrorEntry | TSchema> {
  if (!bodies) return entries;
  const out: Record<number, ErrorEntry | TSchema> = { ...entries };
  for (const [status, schema] of Object.entries(bodies)) {
    const described = entries[Number(status)]?.description;
    out[Number(status)] = described ? { ...schema, description: described } : schema;
  }
  return out;
}
