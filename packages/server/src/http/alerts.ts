/** Alerts people act on: the inbox (list, one with its history) and the lifecycle transitions. */
import {
  Alert,
  type AlertAction,
  AlertConflict,
  AlertIdParams,
  AlertsPage,
  AlertsQuery,
  AlertTransitionRequest,
  AlertWithHistory,
  AssignAlertRequest,
} from '@openeye/protocol';
import type { AlertService } from '../domain/alerts.js';
import type { App, RouteContext } from './context.js';
import { operations } from './operation.js';

export function alertRoutes(app: App, ctx: RouteContext, alerts: AlertService): void {
  const operation = operations(ctx.guard);
  // Viewers and admins act on alerts; producers and API keys (a viewer's key is a kiosk screen) do not.
  const act = ['admin', 'viewer'] as const;
  // A 409 carries the alert as it is now (who acted first).
  const conflict = { errors: ['not_found', 'conflict'] as const, errorBodies: { 409: AlertConflict } };

  app.get(
    '/api/alerts',
    operation({
      operationId: 'listAlerts',
      summary: 'Alerts with their state, newest first; page with `before`',
      tag: 'alerts',
      auth: 'user',
      querystring: AlertsQuery,
      response: { 200: AlertsPage },
    }),
    (req) => alerts.list(req.query, req.user!.access),
  );

  app.get(
    '/api/alerts/:id',
    operation({
      operationId: 'getAlert',
      summary: 'One alert with its history (every transition, oldest first)',
      tag: 'alerts',
      auth: 'user',
      params: AlertIdParams,
      response: { 200: AlertWithHistory },
      errors: ['not_found'],
    }),
    (req) => alerts.get(req.params.id, req.user!.access),
  );

  const transitions: [Exclude<AlertAction, 'assign'>, string, string][] = [
    ['acknowledge', 'acknowledgeAlert', 'Acknowledge an open alert (stops its escalation)'],
    ['resolve', 'resolveAlert', 'Resolve an alert, with an optional note'],
    ['reopen', 'reopenAlert', 'Open an acknowledged or resolved alert again'],
  ];
  for (const [action, operationId, summary] of transitions) {
    app.post(
      `/api/alerts/:id/${action}`,
      operation({
        operationId,
        summary: `${summary}; \`version\` is the version the caller saw (409 with the current alert when it changed)`,
        tag: 'alerts',
        auth: act,
        apiKeys: false,
        params: AlertIdParams,
        body: AlertTransitionRequest,
        response: { 200: Alert },
        ...conflict,
      }),
      async (req) => (await alerts.transition(req.params.id, action, req.body, req.user!)).alert,
    );
  }

  app.post(
    '/api/alerts/:id/assign',
    operation({
      operationId: 'assignAlert',
      summary: 'Assign an alert to a user (yourself; anyone else needs admin), or null to unassign',
      tag: 'alerts',
      auth: act,
      apiKeys: false,
      params: AlertIdParams,
      body: AssignAlertRequest,
      response: { 200: Alert },
      ...conflict,
    }),
    async (req) => (await alerts.transition(req.params.id, 'assign', req.body, req.user!)).alert,
  );
}
