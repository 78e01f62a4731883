/**
 * @module api
 * The REST API beside the socket (protocol.md section 6): every call sends
 * `Authorization: Bearer <token>` and throws `ApiError` on failure.
 */
import type {
  Alert,
  AlertMessage,
  AlertState,
  AlertsPage,
  AlertWithHistory,
  ApiKey,
  BroadcastRequest,
  Camera,
  CameraEventMessage,
  CreateAlertRequest,
  CreateApiKeyRequest,
  CreateCameraEventRequest,
  CreateCameraRequest,
  CreatedApiKey,
  CreatedWebhook,
  CreateEscalationRuleRequest,
  CreatePersonRequest,
  CreatePushSubscriptionRequest,
  CreateRecognitionRequest,
  CreateUserRequest,
  CreateWebhookRequest,
  Delivery,
  EscalationRule,
  EventsResponse,
  Person,
  Presence,
  PushSubscription,
  Recognition,
  RestErrorCode,
  Statistics,
  TokenResponse,
  UpdateCameraRequest,
  UpdateEscalationRuleRequest,
  UpdateUserRequest,
  UpdateWebhookRequest,
  User,
  Webhook,
  WsStatusResponse,
} from '@openeye/protocol';

/** Returns the current JWT; may be async. `null`/`undefined` sends no Authorization header. */
export type TokenProvider = () => string | null | undefined | Promise<string | null | undefined>;

export interface ApiOptions {
  /** Origin (and optional path prefix) of the server. Default: `window.location.origin`, else relative URLs. */
  baseUrl?: string;
  /** Token for the `Authorization: Bearer` header, asked before every request. */
  getToken?: TokenProvider;
  /** A fetch implementation. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** Query of `GET /api/events`. */
export interface EventsQuery {
  /** Only events after this id; omitted: the newest `limit` events. */
  after?: string | null;
  /** 1..1000, default 100 (server side). */
  limit?: number;
  /** `camera_event` and/or `alert`. */
  types?: readonly string[] | string;
}

/** Codes the client gives itself: the network failed, or the answer carried no code. */
export type ClientErrorCode = 'network_error' | `http_${number}`;

/**
 * `ApiError.code`: a code of the server's catalogue (`RestErrorCode`, protocol.md section 7), one of
 * the client's own, or any other string (a newer server may send a code this client does not know:
 * it arrives unchanged; decide by `status` then).
 */
export type ApiErrorCode = RestErrorCode | ClientErrorCode | (string & {});

/**
 * A failed request. `status` is the HTTP status (0 when the network failed), `code` the
 * server's stable error code (`network_error` for network failures, `http_<status>` when the
 * body had none), `field` the offending field of a validation error.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
    /** The error's whole JSON body (a 409 of an alert transition has `alert`: the alert as it is now). */
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  auth?: boolean;
}

/**
 * Typed REST client.
 * @example
 * const api = new OpenEyeApi({ baseUrl: 'https://openeye.example', getToken: () => localStorage.getItem('token') });
 * const { access_token } = await api.login('admin', 'secret');
 * const stats = await api.statistics();
 */
export class OpenEyeApi {
  readonly baseUrl: string;
  readonly #getToken: TokenProvider | undefined;
  readonly #fetch: typeof fetch | undefined;

  constructor(options: ApiOptions = {}) {
    this.baseUrl = (options.baseUrl ?? defaultOrigin()).replace(/\/+$/, '');
    this.#getToken = options.getToken;
    this.#fetch = options.fetch;
  }

  /** `POST /api/auth/login` */
  login(username: string, password: string): Promise<TokenResponse> {
    return this.#request('POST', '/api/auth/login', { body: { username, password }, auth: false });
  }
  /** `POST /api/auth/refresh`: a fresh token for the current one. */
  refresh(): Promise<TokenResponse> {
    return this.#request('POST', '/api/auth/refresh');
  }
  /** `GET /api/users/me`: the signed-in user. */
  me(): Promise<User> {
    return this.#request('GET', '/api/users/me');
  }
  /** `GET /api/statistics`: the same object as `statistics_update.data`. */
  statistics(): Promise<Statistics> {
    return this.#request('GET', '/api/statistics');
  }
  /** `GET /api/events`: history, oldest first. Throws `ApiError` with status 410 when `after` is older than the history. */
  events(query: EventsQuery = {}): Promise<EventsResponse> {
    const types = typeof query.types === 'string' ? query.types : query.types?.join(',');
    return this.#request('GET', '/api/events', {
      query: { after: query.after ?? undefined, limit: query.limit, types: types || undefined },
    });
  }

  listCameras(): Promise<Camera[]> {
    return this.#request('GET', '/api/cameras');
  }
  createCamera(body: CreateCameraRequest): Promise<Camera> {
    return this.#request('POST', '/api/cameras', { body });
  }
  updateCamera(id: number, body: UpdateCameraRequest): Promise<Camera> {
    return this.#request('PATCH', `/api/cameras/${id}`, { body });
  }
  deleteCamera(id: number): Promise<void> {
    return this.#request('DELETE', `/api/cameras/${id}`);
  }
  /** `POST /api/cameras/:id/events`: returns the `camera_event` exactly as the socket carries it. */
  postCameraEvent(id: number, body: CreateCameraEventRequest): Promise<CameraEventMessage> {
    return this.#request('POST', `/api/cameras/${id}/events`, { body });
  }

  listPeople(): Promise<Person[]> {
    return this.#request('GET', '/api/people');
  }
  createPerson(body: CreatePersonRequest): Promise<Person> {
    return this.#request('POST', '/api/people', { body });
  }
  deletePerson(id: number): Promise<void> {
    return this.#request('DELETE', `/api/people/${id}`);
  }
  createRecognition(body: CreateRecognitionRequest): Promise<Recognition> {
    return this.#request('POST', '/api/recognitions', { body });
  }
  /** `POST /api/alerts`: returns the `alert` exactly as the socket carries it. */
  createAlert(body: CreateAlertRequest): Promise<AlertMessage> {
    return this.#request('POST', '/api/alerts', { body });
  }

  listUsers(): Promise<User[]> {
    return this.#request('GET', '/api/users');
  }
  createUser(body: CreateUserRequest): Promise<User> {
    return this.#request('POST', '/api/users', { body });
  }
  updateUser(id: number, body: UpdateUserRequest): Promise<User> {
    return this.#request('PATCH', `/api/users/${id}`, { body });
  }
  deleteUser(id: number): Promise<void> {
    return this.#request('DELETE', `/api/users/${id}`);
  }

  /** `GET /api/keys` (admin): API keys, without their secrets. */
  listApiKeys(): Promise<ApiKey[]> {
    return this.#request('GET', '/api/keys');
  }
  /** `POST /api/keys` (admin): the answer's `key` is the only time the whole key is shown. */
  createApiKey(body: CreateApiKeyRequest): Promise<CreatedApiKey> {
    return this.#request('POST', '/api/keys', { body });
  }
  /** `DELETE /api/keys/:id` (admin): revokes the key at once. */
  revokeApiKey(id: number): Promise<ApiKey> {
    return this.#request('DELETE', `/api/keys/${id}`);
  }

  // ---------------------------------------------------------------- alerts (protocol version 2)

  /** `GET /api/alerts`: alerts with their state, newest first; pass `next_before` as `before` for the next page. */
  listAlerts(
    query: { state?: AlertState; cameraId?: number; limit?: number; before?: string } = {},
  ): Promise<AlertsPage> {
    return this.#request('GET', '/api/alerts', {
      query: { state: query.state, camera_id: query.cameraId, limit: query.limit, before: query.before },
    });
  }
  /** `GET /api/alerts/:id`: one alert with every transition (who, when, notes). */
  getAlert(id: string): Promise<AlertWithHistory> {
    return this.#request('GET', `/api/alerts/${encodeURIComponent(id)}`);
  }
  /**
   * `POST /api/alerts/:id/acknowledge`. `version` is the alert's version as the caller saw it: when
   * someone changed it first, `ApiError` 409 (`code` `conflict`) whose `body.alert` is the alert now.
   */
  acknowledgeAlert(id: string, version: number, note?: string): Promise<Alert> {
    return this.#transition(id, 'acknowledge', { version, ...(note === undefined ? {} : { note }) });
  }
  /** `POST /api/alerts/:id/resolve`, with an optional note (at most 2 KiB). */
  resolveAlert(id: string, version: number, note?: string): Promise<Alert> {
    return this.#transition(id, 'resolve', { version, ...(note === undefined ? {} : { note }) });
  }
  /** `POST /api/alerts/:id/reopen` */
  reopenAlert(id: string, version: number, note?: string): Promise<Alert> {
    return this.#transition(id, 'reopen', { version, ...(note === undefined ? {} : { note }) });
  }
  /** `POST /api/alerts/:id/assign`: to a user (yourself; anyone else needs admin), or null to unassign. */
  assignAlert(id: string, version: number, userId: number | null, note?: string): Promise<Alert> {
    return this.#transition(id, 'assign', { version, user_id: userId, ...(note === undefined ? {} : { note }) });
  }
  #transition(id: string, action: string, body: object): Promise<Alert> {
    return this.#request('POST', `/api/alerts/${encodeURIComponent(id)}/${action}`, { body });
  }

  /** `GET /api/escalation-rules` (admin) */
  listEscalationRules(): Promise<EscalationRule[]> {
    return this.#request('GET', '/api/escalation-rules');
  }
  createEscalationRule(body: CreateEscalationRuleRequest): Promise<EscalationRule> {
    return this.#request('POST', '/api/escalation-rules', { body });
  }
  updateEscalationRule(id: number, body: UpdateEscalationRuleRequest): Promise<EscalationRule> {
    return this.#request('PATCH', `/api/escalation-rules/${id}`, { body });
  }
  deleteEscalationRule(id: number): Promise<void> {
    return this.#request('DELETE', `/api/escalation-rules/${id}`);
  }

  /** `GET /api/webhooks` (admin): without their secrets. */
  listWebhooks(): Promise<Webhook[]> {
    return this.#request('GET', '/api/webhooks');
  }
  /** `POST /api/webhooks` (admin): the answer's `secret` is the only time the signing secret is shown. */
  createWebhook(body: CreateWebhookRequest): Promise<CreatedWebhook> {
    return this.#request('POST', '/api/webhooks', { body });
  }
  updateWebhook(id: number, body: UpdateWebhookRequest): Promise<Webhook> {
    return this.#request('PATCH', `/api/webhooks/${id}`, { body });
  }
  deleteWebhook(id: number): Promise<void> {
    return this.#request('DELETE', `/api/webhooks/${id}`);
  }
  /** The delivery log of a webhook, newest first. */
  webhookDeliveries(id: number, limit?: number): Promise<Delivery[]> {
    return this.#request('GET', `/api/webhooks/${id}/deliveries`, { query: { limit } });
  }
  /** "Send again": the same body as a new delivery. */
  resendDelivery(webhookId: number, deliveryId: number): Promise<Delivery> {
    return this.#request('POST', `/api/webhooks/${webhookId}/deliveries/${deliveryId}/resend`);
  }

  /** The VAPID public key, for `PushManager.subscribe({ applicationServerKey })`. */
  vapidPublicKey(): Promise<string> {
    return this.#request<{ public_key: string }>('GET', '/api/push/vapid-public-key').then((r) => r.public_key);
  }
  /** Opts this device in: the browser's `PushSubscription.toJSON()` (plus a label). */
  subscribePush(body: CreatePushSubscriptionRequest): Promise<PushSubscription> {
    return this.#request('POST', '/api/push/subscriptions', { body });
  }
  listPushSubscriptions(): Promise<PushSubscription[]> {
    return this.#request('GET', '/api/push/subscriptions');
  }
  unsubscribePush(id: number): Promise<void> {
    return this.#request('DELETE', `/api/push/subscriptions/${id}`);
  }

  /** `GET /api/ws/status` */
  wsStatus(): Promise<WsStatusResponse> {
    return this.#request('GET', '/api/ws/status');
  }
  /** `GET /api/ws/presence` (admin) */
  presence(): Promise<Presence> {
    return this.#request('GET', '/api/ws/presence');
  }
  /** `POST /api/admin/broadcast` (admin): the message becomes an `alert` to everyone. */
  broadcast(body: BroadcastRequest): Promise<AlertMessage> {
    return this.#request('POST', '/api/admin/broadcast', { body });
  }

  async #request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.auth !== false && this.#getToken !== undefined) {
      const token = await this.#getToken();
      if (token) headers.authorization = `Bearer ${token}`;
    }
    const url = this.baseUrl + path + queryString(options.query);
    const doFetch = this.#fetch ?? globalThis.fetch;
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch {
      throw new ApiError(0, 'network_error', `${method} ${path} failed: the server could not be reached`);
    }
    const text = await response.text().catch(() => '');
    const body = parseJson(text);
    if (!response.ok) {
      const error = (body ?? {}) as { error?: unknown; message?: unknown; field?: unknown };
      throw new ApiError(
        response.status,
        typeof error.error === 'string' ? error.error : `http_${response.status}`,
        typeof error.message === 'string' ? error.message : `${method} ${path} answered ${response.status}`,
        typeof error.field === 'string' ? error.field : undefined,
        typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined,
      );
    }
    return body as T;
  }
}

/** `window.location.origin` in a browser, else '' (relative URLs). */
export function defaultOrigin(): string {
  const location = (globalThis as { location?: { origin?: string } }).location;
  return typeof location?.origin === 'string' && location.origin !== 'null' ? location.origin : '';
}

function queryString(query: RequestOptions['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
