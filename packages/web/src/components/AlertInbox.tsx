/**
 * The alert inbox: every alert not resolved, newest first, from the server (`GET /api/alerts`) and
 * kept current live (`alert`, `alert_update`): acknowledged or resolved in another browser shows
 * here within a moment. Opened from the header's alert button, the toasts' "+N more" and Alt+A.
 * A side panel, not a modal: the dashboard stays usable beside it. Escape closes it.
 */

import { type AlertWithHistory, ApiError } from '@openeye/client';
import type { Camera } from '@openeye/protocol';
import { memo, useDeferredValue, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useUser } from '../lib/auth';
import { cameraName } from '../lib/cameras';
import { clockMinute, clockTime } from '../lib/format';
import {
  type Action,
  type AlertInfo,
  actOnAlert,
  alertFromRest,
  inboxOf,
  live,
  newestUnread,
  unreadOf,
} from '../lib/live';
import { navigate } from '../lib/router';
import { api } from '../lib/services';
import { alertSound, setAlertSound } from '../lib/sound';
import { Store, useStore, useStoreSelector } from '../lib/store';
import { AlertButtons } from './AlertButtons';
import { AuthImage } from './AuthImage';
import { Icon } from './Icon';

/** Whether the inbox is open, and whether to focus the newest unread alert when it opens. */
const inbox = new Store<{ open: boolean; focusNewest: boolean }>({ open: false, focusNewest: false }, { sync: true });

export function openInbox(focusNewest = false): void {
  inbox.set({ open: true, focusNewest });
}

export function closeInbox(): void {
  inbox.set({ open: false, focusNewest: false });
}

export function toggleInbox(): void {
  inbox.set((s) => ({ open: !s.open, focusNewest: false }));
}

export function useInboxOpen(): boolean {
  return useStore(inbox).open;
}

const SEVERITY: Record<AlertInfo['severity'], string> = { info: 'Info', warning: 'Warning', critical: 'Critical' };

/** Who acted and when: "Acknowledged by dana at 14:02". */
function stateText(alert: AlertInfo): string {
  if (alert.state === 'open') return 'Unread';
  const verb = alert.state === 'acknowledged' ? 'Acknowledged' : 'Resolved';
  const by = alert.handledBy ? ` by ${alert.handledBy}` : '';
  const at = alert.handledAt ? ` at ${clockMinute(Date.parse(alert.handledAt))}` : '';
  return `${verb}${by}${at}`;
}

interface Me {
  id: number;
  username: string;
  role: string;
}

function assigneeText(id: number, me: Me, names: ReadonlyMap<number, string>): string {
  if (id === me.id) return 'Assigned to you';
  const name = names.get(id);
  return name ? `Assigned to ${name}` : 'Assigned to a colleague';
}

type Transition = AlertWithHistory['history'][number];

function transitionText(t: Transition, me: Me, names: ReadonlyMap<number, string>): string {
  const by = t.by ? ` by ${t.by.username}` : ' by the system';
  const at = ` at ${clockMinute(Date.parse(t.at))}`;
  switch (t.action) {
    case 'acknowledge':
      return `Acknowledged${by}${at}`;
    case 'resolve':
      return `Resolved${by}${at}`;
    case 'reopen':
      return `Reopened${by}${at}`;
    case 'assign':
      return t.assigned_to === null ? `Unassigned${by}${at}` : `${assigneeText(t.assigned_to, me, names)}${by}${at}`;
  }
}

/** A failure in operator language (the server enforces the note's size: 400 with field `note`). */
function failureText(error: unknown, action: Action): string {
  if (error instanceof ApiError && error.status === 400 && /note/i.test(`${error.field ?? ''} ${error.message}`)) {
    return 'The note is too long (at most 2 KB). Shorten it and try again.';
  }
  const verb = { acknowledge: 'acknowledge', resolve: 'resolve', assign: 'assign', reopen: 'reopen' }[action];
  return `Could not ${verb}. Try again.`;
}

const InboxItem = memo(function InboxItem({
  alert,
  camera,
  me,
  names,
}: {
  alert: AlertInfo;
  camera: string | null;
  me: Me;
  names: ReadonlyMap<number, string>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [history, setHistory] = useState<Transition[] | null>(null);
  const [showHistory, setShowHistory] = useState(false);
  const noteId = useId();
  const assignId = useId();
  const historyId = useId();

  // The history, loaded when shown and again whenever the alert changes (its version).
  useEffect(() => {
    if (!showHistory || alert.version < 1) return;
    let stop = false;
    api.getAlert(alert.id).then(
      (full) => {
        if (!stop) setHistory(full.history);
      },
      () => {
        if (!stop) setHistory((h) => h ?? []);
      },
    );
    return () => {
      stop = true;
    };
  }, [showHistory, alert.id, alert.version]);

  const act = async (action: Action, userId?: number | null) => {
    setBusy(true);
    setError(null);
    setConflict(null);
    try {
      const withNote = action === 'acknowledge' || action === 'resolve';
      const answer = await actOnAlert(api, alert.id, action, { note: withNote ? note : undefined, userId });
      setConflict(answer.conflict);
      if (withNote && !answer.conflict) setNote('');
    } catch (failure) {
      setError(failureText(failure, action));
    } finally {
      setBusy(false);
    }
  };
  const isAdmin = me.role === 'admin';
  return (
    <li
      className={`inbox-item inbox-item--${alert.severity} is-${alert.state}`}
      data-testid="inbox-item"
      data-alert-id={alert.id}
      data-state={alert.state}
      tabIndex={-1}
    >
      <span className="inbox-icon" aria-hidden="true">
        <Icon name={alert.severity} size={18} />
      </span>
      <div className="inbox-body">
        <div className="inbox-title">
          <span className="sr-only">{SEVERITY[alert.severity]}: </span>
          {alert.message}
        </div>
        <div className="inbox-meta num">
          {[camera, clockTime(alert.timestamp), alert.broadcastFrom ? `Broadcast by ${alert.broadcastFrom}` : null]
            .filter(Boolean)
            .join(' · ')}
        </div>
        <div className={`inbox-state inbox-state--${alert.state}`} data-testid="inbox-who">
          {stateText(alert)}
          {alert.assignedTo !== null ? ` · ${assigneeText(alert.assignedTo, me, names)}` : null}
        </div>
        {conflict ? (
          <div className="inbox-conflict" data-testid="inbox-conflict" role="status">
            {conflict}
          </div>
        ) : null}
        {alert.snapshotUrl ? (
          <AuthImage src={alert.snapshotUrl} className="inbox-image" alt={`Snapshot of ${alert.message}`} />
        ) : null}
        {error ? <div className="toast-error">{error}</div> : null}
        <div className="inbox-actions">
          <AlertButtons
            acknowledge={alert.state === 'open'}
            resolve={alert.state !== 'resolved'}
            busy={busy}
            onAct={(action) => void act(action)}
          />
          {alert.state !== 'resolved' && alert.assignedTo !== me.id ? (
            <button
              type="button"
              className="button button--small button--ghost"
              disabled={busy}
              onClick={() => void act('assign', me.id)}
            >
              Assign to me
            </button>
          ) : null}
          <button
            type="button"
            className="button button--small button--ghost"
            aria-expanded={showHistory}
            aria-controls={historyId}
            onClick={() => setShowHistory((v) => !v)}
          >
            Note and history
          </button>
          <button
            type="button"
            className="button button--small button--ghost"
            onClick={() => {
              closeInbox();
              navigate(`/history?event=${encodeURIComponent(alert.id)}`);
            }}
          >
            Details
          </button>
        </div>
        {/* Note, assignment and history only when asked for: a burst of alerts keeps the list light. */}
        <div id={historyId} hidden={!showHistory}>
          {showHistory && alert.state !== 'resolved' ? (
            <div className="inbox-note">
              <label htmlFor={noteId}>Note (optional)</label>
              <input id={noteId} type="text" value={note} onChange={(event) => setNote(event.target.value)} />
            </div>
          ) : null}
          {showHistory && isAdmin && names.size > 0 ? (
            <div className="inbox-assign">
              <label htmlFor={assignId}>Assign to</label>
              <select
                id={assignId}
                value={alert.assignedTo === null ? '' : String(alert.assignedTo)}
                disabled={busy}
                onChange={(event) => void act('assign', event.target.value === '' ? null : Number(event.target.value))}
              >
                <option value="">Nobody</option>
                {[...names].map(([id, name]) => (
                  <option key={id} value={String(id)}>
                    {name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          {showHistory ? (
            <ol className="inbox-history" data-testid="inbox-history" aria-label="What happened to this alert">
              {history === null ? (
                <li>Loading…</li>
              ) : history.length === 0 ? (
                <li>Nobody has acted on it yet.</li>
              ) : (
                history.map((t) => (
                  <li key={`${t.version}-${t.action}`}>
                    {transitionText(t, me, names)}
                    {t.note ? <span className="inbox-history-note">: “{t.note}”</span> : null}
                  </li>
                ))
              )}
            </ol>
          ) : null}
        </div>
      </div>
    </li>
  );
});

/** Every user's name by id (admins only: `GET /api/users`), for "Assigned to …" and the assign select. */
function useUserNames(load: boolean): ReadonlyMap<number, string> {
  const [names, setNames] = useState<ReadonlyMap<number, string>>(() => new Map());
  useEffect(() => {
    if (!load) return;
    let stop = false;
    api.listUsers().then(
      (users) => {
        if (!stop) setNames(new Map(users.map((u) => [u.id, u.username])));
      },
      () => {},
    );
    return () => {
      stop = true;
    };
  }, [load]);
  return names;
}

/** Rendered at once; more on demand, so a burst of hundreds never makes the panel heavy. */
const PAGE = 20;

type View = 'unresolved' | 'resolved';

/**
 * The resolved alerts for the "Resolved" view: the newest 50 from the server when the view opens,
 * and those resolved live since (this page's store knows them), newest first.
 */
function useResolved(active: boolean, alerts: ReadonlyMap<string, AlertInfo>): AlertInfo[] | null {
  const [fetched, setFetched] = useState<AlertInfo[] | null>(null);
  useEffect(() => {
    if (!active) return;
    let cancelled = false;
    setFetched(null);
    api.listAlerts({ state: 'resolved', limit: 50 }).then(
      (page) => {
        if (!cancelled) setFetched(page.alerts.map(alertFromRest));
      },
      () => {
        if (!cancelled) setFetched([]);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [active]);
  if (!active || fetched === null) return null;
  const byId = new Map(fetched.map((a) => [a.id, a]));
  for (const a of alerts.values()) if (a.state === 'resolved') byId.set(a.id, a);
  return [...byId.values()]
    .filter((a) => (alerts.get(a.id)?.state ?? a.state) === 'resolved')
    .sort((a, b) => Number(b.id) - Number(a.id));
}

export function AlertInbox({ cameras }: { cameras: Camera[] | null }) {
  const { open, focusNewest } = useStore(inbox);
  // The list follows the store with deferred values: during a burst React renders it in slices
  // between frames, after the urgent parts (toasts, the header's count).
  const alerts = useDeferredValue(useStoreSelector(live, (s) => s.alerts));
  const alertsLoaded = useStoreSelector(live, (s) => s.alertsLoaded);
  // Opening shows the panel (and focuses its heading) at once, its rows a moment later; with
  // Alt+A the rows come at once, since the newest unread one gets the focus.
  const listOpen = useDeferredValue(open) || focusNewest;
  const panel = useRef<HTMLElement>(null);
  const [limit, setLimit] = useState(PAGE);
  const [view, setView] = useState<View>('unresolved');
  const resolved = useResolved(open && view === 'resolved', alerts);
  const unresolved = useMemo(() => (open ? inboxOf(alerts) : []), [open, alerts]);
  const items = !open ? [] : view === 'resolved' ? (resolved ?? []) : unresolved;
  const unread = useMemo(() => unreadOf(alerts), [alerts]);
  const me = useUser();
  const names = useUserNames(open && me.role === 'admin');
  const sound = useStore(alertSound);

  useEffect(() => {
    if (!open) return;
    const newest = focusNewest ? newestUnread(live.get().alerts) : undefined;
    const target = newest
      ? panel.current?.querySelector<HTMLElement>(`[data-alert-id="${CSS.escape(newest.id)}"]`)
      : panel.current?.querySelector<HTMLElement>('h2');
    (target ?? panel.current?.querySelector<HTMLElement>('h2'))?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') closeInbox();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, focusNewest]);

  if (!open) return null;
  return (
    <aside className="inbox" aria-labelledby="inbox-title" data-testid="alert-inbox" ref={panel}>
      <header className="inbox-head">
        <div>
          <h2 id="inbox-title" tabIndex={-1}>
            Alerts
          </h2>
          <p className="panel-sub num">
            {unread === 0 ? 'Nothing unread' : `${unread} unread`} · {unresolved.length} not resolved
          </p>
        </div>
        <button
          type="button"
          className={`button button--small button--ghost inbox-sound${sound ? ' is-on' : ''}`}
          aria-pressed={sound}
          onClick={() => setAlertSound(!sound)}
          title="A short beep when a critical alert arrives (this browser only)"
        >
          <span aria-hidden="true">{sound ? 'Sound on' : 'Sound off'}</span>
          <span className="sr-only">Sound for critical alerts</span>
        </button>
        <button
          type="button"
          className="icon-button"
          onClick={closeInbox}
          aria-label="Close the alert list"
          title="Close · Esc"
        >
          <Icon name="close" size={18} />
        </button>
      </header>
      <div className="inbox-views" role="tablist" aria-label="Which alerts">
        {(
          [
            ['unresolved', 'To handle'],
            ['resolved', 'Resolved'],
          ] as const
        ).map(([v, label]) => (
          <button
            key={v}
            type="button"
            role="tab"
            aria-selected={view === v}
            className={`button button--small ${view === v ? '' : 'button--ghost'}`}
            onClick={() => {
              setView(v);
              setLimit(PAGE);
            }}
          >
            {label}
          </button>
        ))}
      </div>
      {!listOpen ? null : items.length === 0 ? (
        <div className="empty">
          <Icon name="bell" size={22} />
          <p>
            {view === 'resolved'
              ? resolved === null
                ? 'Loading resolved alerts…'
                : 'No resolved alerts yet.'
              : alertsLoaded
                ? 'No open alerts. New ones appear here until someone handles them.'
                : 'Loading alerts…'}
          </p>
        </div>
      ) : (
        <ol
          className="inbox-list"
          aria-label={view === 'resolved' ? 'Resolved alerts, newest first' : 'Alerts not resolved, newest first'}
        >
          {items.slice(0, limit).map((alert) => (
            <InboxItem
              key={alert.id}
              alert={alert}
              camera={cameraName(alert.cameraId, cameras)}
              me={me}
              names={names}
            />
          ))}
          {items.length > limit ? (
            <li className="inbox-more">
              <button
                type="button"
                className="button button--small button--ghost"
                onClick={() => setLimit((n) => n + PAGE)}
              >
                Show {Math.min(PAGE, items.length - limit)} more ({items.length - limit} not shown)
              </button>
            </li>
          ) : null}
        </ol>
      )}
    </aside>
  );
}
