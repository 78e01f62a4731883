/**
 * Alerts as toasts, by severity: info leaves after 6 s, warning after 10 s, critical stays
 * until dismissed. Critical ones are announced assertively.
 */
import type { Camera } from '@openeye/protocol';
import { useEffect } from 'react';
import { cameraName } from '../lib/cameras';
import { clockTime } from '../lib/format';
import { dismissToast, type Toast } from '../lib/live';
import { Icon } from './Icon';

const LIFETIME: Record<Toast['severity'], number | null> = { info: 6000, warning: 10_000, critical: null };
const TITLES: Record<Toast['severity'], string> = { info: 'Info', warning: 'Warning', critical: 'Critical' };

function ToastItem({ toast, camera }: { toast: Toast; camera: string | null }) {
  useEffect(() => {
    const lifetime = LIFETIME[toast.severity];
    if (lifetime === null) return;
    const timer = setTimeout(() => dismissToast(toast.key), lifetime);
    return () => clearTimeout(timer);
  }, [toast]);
  const meta = [toast.broadcastFrom ? `Broadcast by ${toast.broadcastFrom}` : null, camera, clockTime(toast.timestamp)]
    .filter(Boolean)
    .join(' · ');
  return (
    <div
      className={`toast toast--${toast.severity}`}
      role={toast.severity === 'critical' ? 'alert' : 'status'}
      data-testid="toast"
      data-severity={toast.severity}
    >
      <span className="toast-icon" aria-hidden="true">
        <Icon name={toast.severity} size={20} />
      </span>
      <div className="toast-body">
        <div className="toast-title">{TITLES[toast.severity]}</div>
        <div className="toast-message">
          {toast.message}
          {toast.count > 1 ? <span className="toast-count num"> ×{toast.count}</span> : null}
        </div>
        <div className="toast-meta">{meta}</div>
      </div>
      <button
        type="button"
        className="icon-button toast-close"
        onClick={() => dismissToast(toast.key)}
        aria-label="Dismiss alert"
      >
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}

export function Toasts({ toasts, cameras }: { toasts: Toast[]; cameras: Camera[] | null }) {
  return (
    <section className="toasts" aria-label="Alerts">
      {toasts.map((toast) => (
        <ToastItem key={toast.key} toast={toast} camera={cameraName(toast.cameraId, cameras)} />
      ))}
    </section>
  );
}
