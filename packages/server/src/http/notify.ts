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
import type { App, RouteContext } from './context.js';
import { operations } from './operation.js';

export interface NotifyServices {
  alerts: AlertService;
  rules: EscalationService;
  webhooks: WebhookService;
  push: PushService;
}

export function notifyRoutes(app: App, ctx: RouteContext, s: NotifyServices): void {
  const { store } = ctx;
  const operation = operations(ctx.guard);
  const admin = ['admin'] as const;
  const operator = ['admin', 'viewer'] as const;
  const noContent = { 204: Type.Null() };

  // ------------------------------------------------------------------ escalation rules

  app.get(
    '/api/escalation-rules',
    operation({
      operationId: 'listEscalationRules',
      summary: 'Every escalation rule',
      tag: 'alerts',
      auth: admin,
      response: { 200: Type.Array(EscalationRule) },
    }),
    () => s.rules.list(),
  );
  app.post(
    '/api/escalation-rules',
    operation({
      operationId: 'createEscalationRule',
      summary: 'Notify channels when a matching alert stays open (not acknowledged) for after_seconds',
      tag: 'alerts',
      auth: admin,
      body: CreateEscalationRuleRequest,
      response: { 201: EscalationRule },
      errors: ['not_found'],
    }),
    async (req, reply) => reply.code(201).send(await s.rules.create(req.body)),
  );
  app.patch(
    '/api/escalation-rules/:id',
    operation({
      operationId: 'updateEscalationRule',
      summary: 'Change an escalation rule',
      tag: 'alerts',
      auth: admin,
      params: IdParams,
      body: UpdateEscalationRuleRequest,
      response: { 200: EscalationRule },
      errors: ['not_found'],
    }),
    (req) => s.rules.update(req.params.id, req.body),
  );
  app.delete(
    '/api/escalation-rules/:id',
    operation({
      operationId: 'deleteEscalationRule',
      summary: 'Remove an escalation rule',
      tag: 'alerts',
      auth: admin,
      params: IdParams,
      response: noContent,
      errors: ['not_found'],
    }),
    async (req, reply) => {
      await s.rules.remove(req.params.id);
      return reply.code(204).send(null);
    },
  );

  // ------------------------------------------------------------------ webhooks

  app.get(
    '/api/webhooks',
    operation({
      operationId: 'listWebhooks',
      summary: 'Every webhook (without its secret)',
      tag: 'webhooks',
      auth: admin,
      response: { 200: Type.Array(Webhook) },
    }),
    () => s.webhooks.list(),
  );
  app.post(
    '/api/webhooks',
    operation({
      operationId: 'createWebhook',
      summary: 'Register a webhook; its signing secret is in this answer only',
      tag: 'webhooks',
      auth: admin,
      body: CreateWebhookRequest,
      response: { 201: CreatedWebhook },
    }),
    async (req, reply) => reply.code(201).send(await s.webhooks.create(req.body)),
  );
  app.patch(
    '/api/webhooks/:id',
    operation({
      operationId: 'updateWebhook',
      summary: 'Change a webhook',
      tag: 'webhooks',
      auth: admin,
      params: IdParams,
      body: UpdateWebhookRequest,
      response: { 200: Webhook },
      errors: ['not_found'],
    }),
    (req) => s.webhooks.update(req.params.id, req.body),
  );
  app.delete(
    '/api/webhooks/:id',
    operation({
      operationId: 'deleteWebhook',
      summary: 'Remove a webhook',
      tag: 'webhooks',
      auth: admin,
      params: IdParams,
      response: noContent,
      errors: ['not_found'],
    }),
    async (req, reply) => {
      await s.webhooks.remove(req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/api/webhooks/:id/deliveries',
    operation({
      operationId: 'listWebhookDeliveries',
      summary: 'The delivery log of a webhook, newest first',
      tag: 'webhooks',
      auth: admin,
      params: IdParams,
      querystring: DeliveriesQuery,
      response: { 200: Type.Array(Delivery) },
      errors: ['not_found'],
    }),
    (req) => s.webhooks.deliveries(req.params.id, req.query.limit ?? 100),
  );
  app.post(
    '/api/webhooks/:id/deliveries/:delivery_id/resend',
    operation({
      operationId: 'resendWebhookDelivery',
      summary: 'Send a delivery again (the same body, as a new delivery)',
      tag: 'webhooks',
      auth: admin,
      params: Type.Object({ id: IdParams.properties.id, delivery_id: IdParams.properties.id }),
      response: { 201: Delivery },
      errors: ['not_found'],
    }),
    async (req, reply) => reply.code(201).send(await s.webhooks.resend(req.params.id, req.params.delivery_id)),
  );

  // ------------------------------------------------------------------ Web Push

  app.get(
    '/api/push/vapid-public-key',
    operation({
      operationId: 'getVapidPublicKey',
      summary: 'The applicationServerKey for PushManager.subscribe()',
      tag: 'push',
      auth: operator,
      apiKeys: false,
      response: { 200: VapidKeyResponse },
    }),
    () => ({ public_key: s.push.keys.publicKey }),
  );
  app.get(
    '/api/push/subscriptions',
    operation({
      operationId: 'listPushSubscriptions',
      summary: "The signed-in user's push subscriptions (one per device)",
      tag: 'push',
      auth: operator,
      apiKeys: false,
      response: { 200: Type.Array(PushSubscription) },
    }),
    (req) => s.push.list(req.user!.id),
  );
  app.post(
    '/api/push/subscriptions',
    operation({
      operationId: 'createPushSubscription',
      summary: "Opt this device in: the browser's PushSubscription (toJSON()), for the signed-in user",
      tag: 'push',
      auth: operator,
      apiKeys: false,
      body: CreatePushSubscriptionRequest,
      response: { 201: PushSubscription },
    }),
    async (req, reply) => reply.code(201).send(await s.push.subscribe(req.user!.id, req.body)),
  );
  app.delete(
    '/api/push/subscriptions/:id',
    operation({
      operationId: 'deletePushSubscription',
      summary: 'Opt a device out',
      tag: 'push',
      auth: operator,
      apiKeys: false,
      params: IdParams,
      response: noContent,
      errors: ['not_found'],
    }),
    async (req, reply) => {
      await s.push.unsubscribe(req.user!.id, req.params.id);
      return reply.code(204).send(null);
    },
  );

  // The notification's "Acknowledge" button: the service worker has the notification's action token only.
  app.post(
    '/api/alerts/:id/push-acknowledge',
    operation({
      operationId: 'acknowledgeAlertFromPush',
      summary: 'Acknowledge from a push notification, with its action token (no bearer token)',
      tag: 'push',
      auth: 'public',
      params: AlertIdParams,
      body: PushActionRequest,
      response: { 200: Alert },
      errors: ['unauthorized', 'not_found', 'conflict'],
      errorBodies: { 409: AlertConflict },
    }),
    async (req) => {
      const claims = s.push.verifyActionToken(req.body.token, req.params.id);
      if (!claims) throw new DomainError('unauthorized', 'Invalid or expired action token');
      const user = await store.users.byId(claims.userId);
      if (!user || user.disabled || user.role === 'producer') {
        throw new DomainError('unauthorized', 'Invalid or expired action token');
      }
      const actor = { id: user.id, username: user.username, role: user.role, access: CameraAccess.forUser(user) };
      return (await s.alerts.transition(req.params.id, 'acknowledge', { version: claims.version }, actor)).alert;
    },
  );
}
