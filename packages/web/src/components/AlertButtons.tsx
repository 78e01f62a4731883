import { useReadOnly } from '../lib/read-only';

/**
 * Acknowledge and Resolve for an alert, as the toasts and the alert list show them: Acknowledge
 * while it is open, Resolve until it is resolved. None on a read-only screen (a kiosk key).
 */
export function AlertButtons({
  acknowledge,
  resolve,
  busy,
  onAct,
}: {
  acknowledge: boolean;
  resolve: boolean;
  busy: boolean;
  onAct: (action: 'acknowledge' | 'resolve') => void;
}) {
  if (useReadOnly()) return null;
  return (
    <>
      {acknowledge ? (
        <button type="button" className="button button--small" disabled={busy} onClick={() => onAct('acknowledge')}>
          Acknowledge
        </button>
      ) : null}
      {resolve ? (
        <button
          type="button"
          className="button button--small button--ghost"
          disabled={busy}
          onClick={() => onAct('resolve')}
        >
          Resolve
        </button>
      ) : null}
    </>
  );
}
