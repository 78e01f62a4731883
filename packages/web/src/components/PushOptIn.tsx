/**
 * "Notifications on this device": opts this browser in to Web Push (service worker `/sw.js`,
 * `PushManager.subscribe` with the server's VAPID key, the subscription sent to the server for the
 * signed-in user) or out again. Per user and device; the subscription id is kept in localStorage.
 */
import { useEffect, useId, useState } from 'react';
import { api } from '../lib/services';

const KEY = 'openeye.push.subscription';

function supported(): boolean {
  return (
    typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window
  );
}

function keyBytes(base64url: string): Uint8Array {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export function PushOptIn() {
  const [on, setOn] = useState(() => localStorage.getItem(KEY) !== null);
  const [critical, setCritical] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const ids = { toggle: useId(), critical: useId() };

  useEffect(() => {
    if (!supported()) setMessage('This browser cannot receive push notifications.');
  }, []);

  const enable = async () => {
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') throw new Error('Notifications are blocked for this site.');
    const registration = await navigator.serviceWorker.register('/sw.js');
    await navigator.serviceWorker.ready;
    const key = await api.vapidPublicKey();
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(key) as BufferSource,
    });
    const json = subscription.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
    const saved = await api.subscribePush({
      endpoint: json.endpoint,
      keys: json.keys,
      label: navigator.userAgent.slice(0, 120),
      critical,
    });
    localStorage.setItem(KEY, String(saved.id));
  };

  const disable = async () => {
    const id = Number(localStorage.getItem(KEY));
    const registration = await navigator.serviceWorker.getRegistration('/sw.js');
    await (await registration?.pushManager.getSubscription())?.unsubscribe();
    if (id) await api.unsubscribePush(id).catch(() => undefined);
    localStorage.removeItem(KEY);
  };

  const toggle = async () => {
    setBusy(true);
    setMessage(null);
    try {
      if (on) await disable();
      else await enable();
      setOn(!on);
    } catch (e) {
      setMessage(e instanceof Error ? e.message : 'That did not work.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="push-opt-in" aria-live="polite">
      <div className="field field--inline">
        <input
          id={ids.toggle}
          type="checkbox"
          checked={on}
          disabled={busy || !supported()}
          onChange={() => void toggle()}
        />
        <label htmlFor={ids.toggle}>Notifications on this device</label>
      </div>
      <div className="field field--inline">
        <input
          id={ids.critical}
          type="checkbox"
          checked={critical}
          disabled={busy || on || !supported()}
          onChange={(e) => setCritical(e.target.checked)}
        />
        <label htmlFor={ids.critical}>Also every critical alert at once (not only escalations)</label>
      </div>
      {message ? <p className="form-error">{message}</p> : null}
    </div>
  );
}
