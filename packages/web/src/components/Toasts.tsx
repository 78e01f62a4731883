/**
 * Alerts as toasts, by severity: info leaves after 6 s, warning after 10 s (they stay unread in
 * the inbox), critical stays pinned until someone acknowledges or resolves it (here or in any
 * other browser) or it is dismissed from view. At most three show at once, critical first; the
 * rest is "+N more", which opens the inbox.
 *
 * Screen readers hear alerts through two live regions that exist before any alert arrives:
 * assertive for critical, polite for the others. Escape dismisses the focused toast.
 */
import type { Camera } from '@openeye/protocol';
import { type KeyboardEvent, memo, useEffect, useRef, useState } from 'react';
import { cameraName } from '../lib/cameras';
import { clockTime } from '../lib/format';
import { useNow } from '../lib/hooks';
import { type AlertInfo, actOnAlert, dismissToast, live, newestUnread, type Toast, unreadOf } from '../lib/live';
import { useReadOnly } from '../lib/read-only';
import { navigate } from '../lib/router';
import { api } from '../lib/services';
import { useStoreSelector } from '../lib/store';
import { AlertButtons } from './AlertButtons';
import { openInbox } from './AlertInbox';
import { AuthImage } from './AuthImage';
import { Icon } from './Icon';

const TITLES: Record<Toast['severity'], string> = { info: 'Info', warning: 'Warning', critical: 'Critical' };
export const MAX_VISIBLE_TOASTS = 3;
/** Asks the alert area to focus the newest unread alert (the Alt+A shortcut). */
export const FOCUS_NEWEST_ALERT = 'openeye:focus-newest-alert';

/** The toast's alerts an action applies to: those open (Acknowledge), those not resolved (Resolve). */
function idsFor(toast: Toast, alerts: ReadonlyMap<string, AlertInfo>, action: 'acknowledge' | 'resolve'): string[] {
  return toast.ids.filter((id) => {
    const state = alerts.get(id)?.state ?? 'open';
    return action === 'acknowledge' ? state === 'open' : state !== 'resolved';
  });
}

/**
 * One toast. Its props change only when the toast itself does (not at every alert of a burst):
 * the alerts it acts on are looked up when a button is pressed.
 */
const ToastItem = memo(function ToastItem({
  toast,
  camera,
  canAcknowledge,
  canResolve,
}: {
  toast: Toast;
  camera: string | null;
  canAcknowledge: boolean;
  canResolve: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const readOnly = useReadOnly();
  const newest = toast.ids[toast.ids.length - 1]!;
  const meta = [toast.broadcastFrom ? `Broadcast by ${toast.broadcastFrom}` : null, camera, clockTime(toast.timestamp)]
    .filter(Boolean)
    .join(' · ');

  const act = async (action: 'acknowledge' | 'resolve') => {
    setBusy(true);
    setError(null);
    try {
      for (const id of idsFor(toast, live.get().alerts, action)) await actOnAlert(api, id, action);
    } catch {
      setError(`Could not ${action}. Try again.`);
      setBusy(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    dismissToast(toast.key);
    document.getElementById('main')?.focus();
  };

  return (
    <article
      className={`toast toast--${toast.severity}`}
      data-testid="toast"
      data-severity={toast.severity}
      data-alert-id={newest}
      data-alert-ids={toast.ids.join(' ')}
      data-toast-key={toast.key}
      tabIndex={-1}
      onKeyDown={onKeyDown}
      aria-label={`${TITLES[toast.severity]} alert: ${toast.message}`}
    >
      <span className="toast-icon" aria-hidden="true">
        <Icon name={toast.severity} size={20} />
      </span>
      <div className="toast-body">
        <div className="toast-title">
          {TITLES[toast.severity]}
          {toast.severity === 'critical' ? <span className="toast-pin"> · stays until handled</span> : null}
        </div>
        <div className="toast-message">
          {toast.message}
          {toast.ids.length > 1 ? <span className="toast-count num"> ×{toast.ids.length}</span> : null}
        </div>
        <div className="toast-meta">{meta}</div>
        {toast.snapshotUrl ? (
          <AuthImage
            src={toast.snapshotUrl}
            className="toast-image"
            alt={`Face seen${camera ? ` by ${camera}` : ''} at ${clockTime(toast.timestamp)}`}
          />
        ) : null}
        {error ? <div className="toast-error">{error}</div> : null}
        <div className="toast-actions">
          <AlertButtons
            acknowledge={canAcknowledge}
            resolve={canResolve}
            busy={busy}
            onAct={(action) => void act(action)}
          />
          {readOnly ? null : (
            <button
              type="button"
              className="button button--small button--ghost"
              onClick={() => navigate(`/history?event=${encodeURIComponent(newest)}`)}
            >
              Details
            </button>
          )}
        </div>
      </div>
      <button
        type="button"
        className="icon-button toast-close"
        onClick={() => dismissToast(toast.key)}
        aria-label="Dismiss alert"
        title="Hide (it stays in the alert list until handled) · Esc"
      >
        <Icon name="close" size={16} />
      </button>
    </article>
  );
});

/**
 * The toasts shown now, at most `max`: the newest one always, then the pinned critical ones, then
 * the newest others. Critical ones are shown first.
 */
export function visibleToasts(toasts: Toast[], now: number, max = MAX_VISIBLE_TOASTS): Toast[] {
  const active = toasts.filter((t) => t.expiresAt === null || t.expiresAt > now).reverse();
  const critical = active.filter((t) => t.severity === 'critical');
  const others = active.filter((t) => t.severity !== 'critical');
  const picked = [...new Set([...active.slice(0, 1), ...critical, ...others])].slice(0, max);
  return [...picked.filter((t) => t.severity === 'critical'), ...picked.filter((t) => t.severity !== 'critical')];
}

/** Three toasts where the screen is tall enough, else two: the stack never reaches the cards. */
function fitting(): number {
  return typeof window !== 'undefined' && window.innerHeight >= 1000 ? MAX_VISIBLE_TOASTS : 2;
}

export function Toasts({ cameras }: { cameras: Camera[] | null }) {
  const toasts = useStoreSelector(live, (s) => s.toasts);
  const alerts = useStoreSelector(live, (s) => s.alerts);
  const announce = useStoreSelector(live, (s) => s.announce);
  const now = useNow(1000);
  const max = fitting();
  const region = useRef<HTMLElement>(null);
  const visible = visibleToasts(toasts, now, max);
  const shownUnread = new Set(
    visible.flatMap((t) => t.ids).filter((id) => (alerts.get(id)?.state ?? 'open') === 'open'),
  );
  const more = unreadOf(alerts) - shownUnread.size;

  // Alt+A: the newest unread alert gets focus (its toast, or the inbox when it has none).
  useEffect(() => {
    const focusNewest = () => {
      const newest = newestUnread(live.get().alerts);
      const toasts = [...(region.current?.querySelectorAll<HTMLElement>('[data-testid="toast"]') ?? [])];
      const toast = newest ? toasts.find((t) => t.dataset.alertIds?.split(' ').includes(newest.id)) : undefined;
      if (toast) toast.focus();
      else openInbox(true);
    };
    window.addEventListener(FOCUS_NEWEST_ALERT, focusNewest);
    return () => window.removeEventListener(FOCUS_NEWEST_ALERT, focusNewest);
  }, []);

  return (
    <>
      <div className="sr-only" aria-live="assertive" aria-atomic="true" data-testid="alerts-live-critical">
        {announce.critical}
      </div>
      <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="alerts-live">
        {announce.polite}
      </div>
      <section className="toasts" aria-label="Newest alerts" ref={region}>
        {more > 0 ? (
          <button type="button" className="toasts-more" data-testid="toasts-more" onClick={() => openInbox(true)}>
            <Icon name="bell" size={16} />
            <span className="num">
              +{more} more unread {more === 1 ? 'alert' : 'alerts'}
            </span>
            <span className="toasts-more-open">Open list</span>
          </button>
        ) : null}
        {visible.map((toast) => (
          <ToastItem
            key={toast.key}
            toast={toast}
            camera={cameraName(toast.cameraId, cameras)}
            canAcknowledge={idsFor(toast, alerts, 'acknowledge').length > 0}
            canResolve={idsFor(toast, alerts, 'resolve').length > 0}
          />
        ))}
      </section>
    </>
  );
}
