/*
 * OpenEye service worker: Web Push notifications for escalated (and, when opted in, critical)
 * alerts. The push payload (encrypted end to end to this browser, RFC 8291) is
 *   { type, title, alert: {id, alert_type, message, camera_id, state, version, ...}, rule,
 *     url: "/alerts/<id>", action: { url: "/api/alerts/<id>/push-acknowledge", token } }
 * Clicking the notification opens the alert; its "Acknowledge" button posts the action token (a
 * short-lived token bound to this alert, this user and the version notified; the worker has no
 * session token). If someone was first, a second notification says who.
 */
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const alert = data.alert || {};
  const title = data.title || 'OpenEye alert';
  // Always show a notification for a push (browsers revoke silent pushes).
  event.waitUntil(
    self.registration.showNotification(title, {
      body: alert.message || 'An alert needs attention',
      tag: alert.id ? `openeye-alert-${alert.id}` : undefined,
      renotify: true,
      requireInteraction: alert.alert_type === 'critical',
      timestamp: Date.now(),
      data: { url: data.url || '/', action: data.action || null, alertId: alert.id || null },
      actions: data.action ? [{ action: 'acknowledge', title: 'Acknowledge' }] : [],
    }),
  );
});

async function openUrl(url) {
  const target = new URL(url, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin === self.location.origin && 'navigate' in client) {
      await client.focus();
      return client.navigate(target);
    }
  }
  return self.clients.openWindow(target);
}

async function acknowledge(notification) {
  const { action, url } = notification.data || {};
  const res = await fetch(action.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: action.token }),
  });
  if (res.ok) return;
  const body = await res.json().catch(() => ({}));
  const who = body.alert?.acknowledged_by?.username ?? null;
  await self.registration.showNotification('Not acknowledged', {
    body: who ? `Already acknowledged by ${who}` : body.message || 'Open the alert to act on it',
    tag: notification.tag,
    data: { url, action: null },
  });
}

self.addEventListener('notificationclick', (event) => {
  const notification = event.notification;
  notification.close();
  const data = notification.data || {};
  if (event.action === 'acknowledge' && data.action) {
    event.waitUntil(acknowledge(notification));
    return;
  }
  event.waitUntil(openUrl(data.url || '/'));
});
