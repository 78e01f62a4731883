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
import { type App, errors, type RouteContext } from './context.js';

export function alertRoutes(app: App, ctx: RouteContext, alerts: AlertService): void {
  const { guard } = ctx;
  const read = guard();
  // Viewers and admins act on alerts; producers (and API keys, which act as producers) do not.
  const act = guard('admin', 'viewer');
  const security = [{ bearer: [] }];

  app.get(
    '/api/alerts',
    {
      preHandler: read,
      schema: {
        tags: ['alerts'],
        summary: 'Alerts with their state, newest first; page with `before`',
        security,
        querystring: AlertsQuery,
        response: { 200: AlertsPage, ...errors },
      },
    },
    (req) => alerts.list(req.query, req.user!.access),
  );

  app.get(
    '/api/alerts/:id',
    {
      preHandler: read,
      schema: {
        tags: ['alerts'],
        summary: 'One alert with its history (every transition, oldest first)',
        security,
        params: AlertIdParams,
        response: { 200: AlertWithHistory, ...errors },
      },
    },
    (req) => alerts.get(req.params.id, req.user!.access),
  );

  const transitions: [Exclude<AlertAction, 'assign'>, string][] = [
    ['acknowledge', 'Acknowledge an open alert (stops its escalation)'],
    ['resolve', 'Resolve an alert, with an optional note'],
    ['reopen', 'Open an acknowledged or resolved alert again'],
  ];
  for (const [action, summary] of transitions) {
    app.post(
      `/api/alerts/:id/${action}`,
      {
        preHandler: act,
        schema: {
          tags: ['alerts'],
          summary: `${summary}; \`version\` is the version the caller saw (409 with the current alert when it changed)`,
          security,
          params: AlertIdParams,
          body: AlertTransitionRequest,
          response: { 200: Alert, 409: AlertConflict, ...errors },
        },
      },
      async (req) => (await alerts.transition(req.params.id, action, req.body, req.user!)).alert,
    );
  }

  app.post(
    '/api/alerts/:id/assign',
    {
      preHandler: act,
      schema: {
        tags: ['alerts'],
        summary: 'Assign an alert to a user (yourself; anyone else needs admin), or null to unassign',
        security,
        params: AlertIdParams,
        body: AssignAlertRequest,
        response: { 200: Alert, 409: AlertConflict, ...errors },
      },
    },
    async (req) => (await alerts.transition(req.params.id, 'assign', req.body, req.user!)).alert,
  );
}
