/**
 * Escalation rules and webhooks (admin), the webhook delivery log with "send again", Web Push
 * subscriptions (each user, per device) and the push notification's "Acknowledge" action.
 */
import {
  Alert,
  AlertConflict,
  AlertIdParams,
  CreatedWebhook,
  CreateEscalationRuleRequest,
  CreatePushSubscriptionRequest,
  CreateWebhookRequest,
  DeliveriesQuery,
  Delivery,
  EscalationRule,
  IdParams,
  PushActionRequest,
  PushSubscription,
  UpdateEscalationRuleRequest,
  UpdateWebhookRequest,
  VapidKeyResponse,
  Webhook,
} from '@openeye/protocol';
import { Type } from '@sinclair/typebox';
import { CameraAccess } from '../auth/access.js';
import type { AlertService } from '../domain/alerts.js';
import { DomainError } from '../domain/errors.js';
import type { EscalationService } from '../domain/escalation.js';
import type { PushService } from '../notify/web-push.js';
import type { WebhookService } from '../notify/webhooks.js';
import { type App, errors, type RouteContext } from './context.js';

export interface NotifyServices {
  alerts: AlertService;
  rules: EscalationService;
  webhooks: WebhookService;
  push: PushService;
}

export function notifyRoutes(app: App, ctx: RouteContext, s: NotifyServices): void {
  const { guard, store } = ctx;
  const admin = guard('admin');
  const operator = guard('admin', 'viewer');
  const security = [{ bearer: [] }];
  const noContent = { 204: Type.Null(), ...errors };

  // ------------------------------------------------------------------ escalation rules

  app.get(
    '/api/escalation-rules',
    {
      preHandler: admin,
      schema: { tags: ['alerts'], security, response: { 200: Type.Array(EscalationRule), ...errors } },
    },
    () => s.rules.list(),
  );
  app.post(
    '/api/escalation-rules',
    {
      preHandler: admin,
      schema: {
        tags: ['alerts'],
        summary: 'Notify channels when a matching alert stays open (not acknowledged) for after_seconds',
        security,
        body: CreateEscalationRuleRequest,
        response: { 201: EscalationRule, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await s.rules.create(req.body)),
  );
  app.patch(
    '/api/escalation-rules/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['alerts'],
        security,
        params: IdParams,
        body: UpdateEscalationRuleRequest,
        response: { 200: EscalationRule, ...errors },
      },
    },
    (req) => s.rules.update(req.params.id, req.body),
  );
  app.delete(
    '/api/escalation-rules/:id',
    { preHandler: admin, schema: { tags: ['alerts'], security, params: IdParams, response: noContent } },
    async (req, reply) => {
      await s.rules.remove(req.params.id);
      return reply.code(204).send(null);
    },
  );

  // ------------------------------------------------------------------ webhooks

  app.get(
    '/api/webhooks',
    { preHandler: admin, schema: { tags: ['webhooks'], security, response: { 200: Type.Array(Webhook), ...errors } } },
    () => s.webhooks.list(),
  );
  app.post(
    '/api/webhooks',
    {
      preHandler: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Register a webhook; its signing secret is in this answer only',
        security,
        body: CreateWebhookRequest,
        response: { 201: CreatedWebhook, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await s.webhooks.create(req.body)),
  );
  app.patch(
    '/api/webhooks/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['webhooks'],
        security,
        params: IdParams,
        body: UpdateWebhookRequest,
        response: { 200: Webhook, ...errors },
      },
    },
    (req) => s.webhooks.update(req.params.id, req.body),
  );
  app.delete(
    '/api/webhooks/:id',
    { preHandler: admin, schema: { tags: ['webhooks'], security, params: IdParams, response: noContent } },
    async (req, reply) => {
      await s.webhooks.remove(req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/api/webhooks/:id/deliveries',
    {
      preHandler: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'The delivery log of a webhook, newest first',
        security,
        params: IdParams,
        querystring: DeliveriesQuery,
        response: { 200: Type.Array(Delivery), ...errors },
      },
    },
    (req) => s.webhooks.deliveries(req.params.id, req.query.limit ?? 100),
  );
  app.post(
    '/api/webhooks/:id/deliveries/:delivery_id/resend',
    {
      preHandler: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Send a delivery again (the same body, as a new delivery)',
        security,
        params: Type.Object({ id: IdParams.properties.id, delivery_id: IdParams.properties.id }),
        response: { 201: Delivery, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await s.webhooks.resend(req.params.id, req.params.delivery_id)),
  );

  // ------------------------------------------------------------------ Web Push

  app.get(
    '/api/push/vapid-public-key',
    {
      preHandler: operator,
      schema: {
        tags: ['push'],
        summary: 'The applicationServerKey for PushManager.subscribe()',
        security,
        response: { 200: VapidKeyResponse, ...errors },
      },
    },
    () => ({ public_key: s.push.keys.publicKey }),
  );
  app.get(
    '/api/push/subscriptions',
    {
      preHandler: operator,
      schema: { tags: ['push'], security, response: { 200: Type.Array(PushSubscription), ...errors } },
    },
    (req) => s.push.list(req.user!.id),
  );
  app.post(
    '/api/push/subscriptions',
    {
      preHandler: operator,
      schema: {
        tags: ['push'],
        summary: "Opt this device in: the browser's PushSubscription (toJSON()), for the signed-in user",
        security,
        body: CreatePushSubscriptionRequest,
        response: { 201: PushSubscription, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await s.push.subscribe(req.user!.id, req.body)),
  );
  app.delete(
    '/api/push/subscriptions/:id',
    { preHandler: operator, schema: { tags: ['push'], security, params: IdParams, response: noContent } },
    async (req, reply) => {
      await s.push.unsubscribe(req.user!.id, req.params.id);
      return reply.code(204).send(null);
    },
  );

  // The notification's "Acknowledge" button: the service worker has the notification's action token only.
  app.post(
    '/api/alerts/:id/push-acknowledge',
    {
      schema: {
        tags: ['push'],
        summary: 'Acknowledge from a push notification, with its action token (no bearer token)',
        params: AlertIdParams,
        body: PushActionRequest,
        response: { 200: Alert, 409: AlertConflict, ...errors },
      },
    },
    async (req) => {
      const claims = s.push.verifyActionToken(req.body.token, req.params.id);
      if (!claims) throw new DomainError(401, 'unauthorized', 'Invalid or expired action token');
      const user = await store.users.byId(claims.userId);
      if (!user || user.disabled || user.role === 'producer') {
        throw new DomainError(401, 'unauthorized', 'Invalid or expired action token');
      }
      const actor = { id: user.id, username: user.username, role: user.role, access: CameraAccess.forUser(user) };
      return (await s.alerts.transition(req.params.id, 'acknowledge', { version: claims.version }, actor)).alert;
    },
  );
}
