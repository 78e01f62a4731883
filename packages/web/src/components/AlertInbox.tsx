/**
 * The alert inbox: every alert not resolved, newest first, from the server (`GET /api/alerts`) and
 * kept current live (`alert`, `alert_update`): acknowledged or resolved in another browser shows
 * here within a moment. Opened from the header's alert button, the toasts' "+N more" and Alt+A.
 * A side panel, not a modal: the dashboard stays usable beside it. Escape closes it.
 */
import type { Camera } from '@openeye/protocol';
import { memo, useEffect, useRef, useState } from 'react';
import { useUser } from '../lib/auth';
import { cameraName } from '../lib/cameras';
import { clockMinute, clockTime } from '../lib/format';
import { type AlertInfo, actOnAlert, inboxOf, live, newestUnread, unreadOf } from '../lib/live';
import { navigate } from '../lib/router';
import { api } from '../lib/services';
import { Store, useStore } from '../lib/store';
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
  const act = async (action: 'acknowledge' | 'resolve') => {
    setBusy(true);
    setError(null);
    setConflict(null);
    try {
      setConflict((await actOnAlert(api, alert.id, action)).conflict);
    } catch {
      setError(action === 'acknowledge' ? 'Could not acknowledge. Try again.' : 'Could not resolve. Try again.');
    } finally {
      setBusy(false);
    }
  };
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
          {alert.state === 'open' ? (
            <button
              type="button"
              className="button button--small"
              disabled={busy}
              onClick={() => void act('acknowledge')}
            >
              Acknowledge
            </button>
          ) : null}
          <button
            type="button"
            className="button button--small button--ghost"
            disabled={busy}
            onClick={() => void act('resolve')}
          >
            Resolve
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

export function AlertInbox({ cameras }: { cameras: Camera[] | null }) {
  const { open, focusNewest } = useStore(inbox);
  const { alerts, alertsLoaded } = useStore(live);
  const panel = useRef<HTMLElement>(null);
  const [limit, setLimit] = useState(PAGE);
  const items = open ? inboxOf(alerts) : [];
  const unread = unreadOf(alerts);
  const me = useUser();
  const names = useUserNames(open && me.role === 'admin');

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
            {unread === 0 ? 'Nothing unread' : `${unread} unread`} · {items.length} not resolved
          </p>
        </div>
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
      {items.length === 0 ? (
        <div className="empty">
          <Icon name="bell" size={22} />
          <p>{alertsLoaded ? 'No open alerts. New ones appear here until someone handles them.' : 'Loading alerts…'}</p>
        </div>
      ) : (
        <ol className="inbox-list" aria-label="Alerts not resolved, newest first">
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
