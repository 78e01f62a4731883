import { ApiError } from '@openeye/client';
import { useOpenEyeClient, useRealtimeEvent } from '@openeye/client/react';
import type { AlertType, Presence, User, WsStatusResponse } from '@openeye/protocol';
import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { Icon } from '../components/Icon';
import { StatCard } from '../components/StatCard';
import { useUser } from '../lib/auth';
import { cameraName, cameras } from '../lib/cameras';
import { clockTime, formatCount } from '../lib/format';
import { useTitle } from '../lib/hooks';
import { api } from '../lib/services';
import { useStore } from '../lib/store';
import { ApiKeysPanel, UsersAccessPanel } from './AdminAccess';
import { AdminAlerts } from './AdminAlerts';
import { KioskScreensPanel } from './AdminKiosk';
import { Avatar } from './People';

const REFRESH_MS = 3000;
const SEVERITIES: { value: AlertType; label: string; hint: string }[] = [
  { value: 'info', label: 'Info', hint: 'Disappears after a few seconds' },
  { value: 'warning', label: 'Warning', hint: 'Stays a little longer' },
  { value: 'critical', label: 'Critical', hint: 'Stays until dismissed' },
];

function BroadcastForm() {
  const [message, setMessage] = useState('');
  const [severity, setSeverity] = useState<AlertType>('info');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const ids = { message: useId(), count: useId() };

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const text = message.trim();
    if (!text) {
      setResult({ ok: false, text: 'Write a message first.' });
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      const alert = await api.broadcast({ message: text, alert_type: severity });
      setMessage('');
      setResult({ ok: true, text: `Sent to every dashboard at ${clockTime(alert.timestamp)}.` });
    } catch (e) {
      setResult({
        ok: false,
        text:
          e instanceof ApiError && e.status === 0
            ? 'The server cannot be reached. Try again.'
            : e instanceof Error
              ? e.message
              : 'Sending failed.',
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card panel" aria-labelledby="broadcast-title">
      <header className="panel-head">
        <div>
          <h2 id="broadcast-title" className="panel-title">
            Broadcast
          </h2>
          <p className="panel-sub">An alert on every open dashboard</p>
        </div>
        <Icon name="broadcast" size={20} className="muted" />
      </header>
      <form className="broadcast" onSubmit={(e) => void send(e)}>
        <div className="field">
          <label htmlFor={ids.message}>Message</label>
          <textarea
            id={ids.message}
            value={message}
            maxLength={1024}
            rows={3}
            placeholder="e.g. Fire drill at 15:00, please stay at your posts."
            aria-describedby={ids.count}
            onChange={(e) => setMessage(e.target.value)}
          />
          <span id={ids.count} className="field-hint num">
            {message.length}/1024
          </span>
        </div>
        <fieldset className="segmented">
          <legend>Severity</legend>
          {SEVERITIES.map((s) => (
            <label key={s.value} className={`segment segment--${s.value}`} title={s.hint}>
              <input
                type="radio"
                name="severity"
                value={s.value}
                checked={severity === s.value}
                onChange={() => setSeverity(s.value)}
              />
              <span>{s.label}</span>
            </label>
          ))}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy}>
            <Icon name="broadcast" size={16} /> {busy ? 'Sending…' : 'Send broadcast'}
          </button>
          {result ? (
            <p className={result.ok ? 'form-ok' : 'form-error'} role={result.ok ? 'status' : 'alert'}>
              {result.text}
            </p>
          ) : null}
        </div>
      </form>
    </section>
  );
}

export function AdminPage() {
  useTitle('Admin');
  const me = useUser();
  const client = useOpenEyeClient();
  const { list: cameraList } = useStore(cameras);
  const [status, setStatus] = useState<WsStatusResponse | null>(null);
  const [presence, setPresence] = useState<Presence | null>(null);
  const [users, setUsers] = useState<Map<number, User>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const usersRef = useRef(users);

  const refresh = useCallback(async () => {
    try {
      const [s, p] = await Promise.all([api.wsStatus(), api.presence()]);
      setStatus(s);
      setPresence(p);
      setError(null);
      const ids = [
        ...Object.keys(s.statistics.connections_by_user).map(Number),
        ...Object.values(p.cameras).flatMap((w) => w.map((x) => x.user_id)),
      ];
      if (ids.some((id) => !usersRef.current.has(id))) {
        const list = await api.listUsers();
        usersRef.current = new Map(list.map((u) => [u.id, u]));
        setUsers(usersRef.current);
      }
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 0
          ? 'The server cannot be reached.'
          : e instanceof Error
            ? e.message
            : 'Could not load.',
      );
    }
  }, []);

  useEffect(() => {
    if (me.role !== 'admin') return;
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    client.subscribe(['presence_update']);
    return () => {
      clearInterval(timer);
      client.unsubscribe(['presence_update']);
    };
  }, [me.role, client, refresh]);

  useRealtimeEvent('presence_update', (message) => setPresence(message.data));

  if (me.role !== 'admin') {
    return (
      <div className="empty empty--page">
        <Icon name="shield" size={28} />
        <h1>Admins only</h1>
        <p>This page shows who is connected and lets admins broadcast. Ask an admin if you need it.</p>
      </div>
    );
  }

  const byUser = Object.entries(status?.statistics.connections_by_user ?? {})
    .map(([id, count]) => ({ id: Number(id), count, user: users.get(Number(id)) }))
    .sort((a, b) => b.count - a.count || a.id - b.id);
  const maxCount = Math.max(1, ...byUser.map((u) => u.count));
  const watchedCameras = Object.entries(presence?.cameras ?? {})
    .filter(([, watchers]) => watchers.length > 0)
    .sort(([a], [b]) => Number(a) - Number(b));

  return (
    <>
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>Admin</h1>
          <p className="page-sub">Connections, presence and broadcasts · refreshed every few seconds</p>
        </div>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}

      <div className="stats-grid stats-grid--4">
        <StatCard
          label="Open connections"
          icon="plug"
          tone="accent"
          value={formatCount(status?.statistics.total_connections)}
          footer="Live sockets across all nodes"
          testId="admin-connections"
        />
        <StatCard
          label="Users connected"
          icon="users"
          tone="success"
          value={formatCount(status?.statistics.total_users)}
          footer="With at least one open dashboard"
          testId="admin-users"
        />
        <StatCard
          label="Your connections"
          icon="dashboard"
          tone="info"
          value={formatCount(status?.user_connections)}
          footer="Tabs and devices signed in as you"
        />
        <StatCard
          label="Cameras watched"
          icon="eye"
          tone="warning"
          value={formatCount(presence ? watchedCameras.length : undefined)}
          footer={`of ${formatCount(cameraList?.length)} cameras`}
        />
      </div>

      <div className="admin-grid">
        <section className="card panel" aria-labelledby="conn-title">
          <header className="panel-head">
            <div>
              <h2 id="conn-title" className="panel-title">
                Connections per user
              </h2>
              <p className="panel-sub">Open WebSocket connections right now</p>
            </div>
          </header>
          {byUser.length === 0 ? (
            <div className="empty">{status ? 'Nobody is connected.' : 'Loading…'}</div>
          ) : (
            <table className="table" data-testid="connections-table">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col" className="hide-narrow">
                    Role
                  </th>
                  <th scope="col" className="col-bar">
                    Connections
                  </th>
                </tr>
              </thead>
              <tbody>
                {byUser.map(({ id, count, user }) => {
                  const name = user?.username ?? `User ${id}`;
                  return (
                    <tr key={id}>
                      <td>
                        <div className="cell-person">
                          <Avatar name={name} />
                          <span className="cell-title">
                            {name}
                            {id === me.id ? <span className="you">you</span> : null}
                          </span>
                        </div>
                      </td>
                      <td className="hide-narrow">
                        <span className={`pill pill--role-${user?.role ?? 'viewer'}`}>{user?.role ?? '—'}</span>
                      </td>
                      <td className="col-bar">
                        <div className="bar-cell">
                          <span className="meter" aria-hidden="true">
                            <span className="meter-fill" style={{ width: `${(count / maxCount) * 100}%` }} />
                          </span>
                          <span className="num bar-value">{count}</span>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>

        <section className="card panel" aria-labelledby="presence-title">
          <header className="panel-head">
            <div>
              <h2 id="presence-title" className="panel-title">
                Presence
              </h2>
              <p className="panel-sub">Who watches which camera</p>
            </div>
          </header>
          {watchedCameras.length === 0 ? (
            <div className="empty">
              <Icon name="eye" size={22} />
              <p>
                {presence
                  ? 'Nobody is watching a particular camera. Operators star cameras on the Cameras page.'
                  : 'Loading…'}
              </p>
            </div>
          ) : (
            <ul className="presence" data-testid="presence">
              {watchedCameras.map(([cameraId, watchers]) => (
                <li key={cameraId} className="presence-row">
                  <div className="presence-camera">
                    <Icon name="camera" size={16} />
                    <span className="cell-title">{cameraName(Number(cameraId), cameraList)}</span>
                  </div>
                  <div className="presence-watchers">
                    {watchers.map((w) => (
                      <span key={w.user_id} className="chip chip--user" title={`${w.connections} connection(s)`}>
                        <Avatar name={w.username} />
                        {w.username}
                        {w.connections > 1 ? <span className="chip-count num">×{w.connections}</span> : null}
                      </span>
                    ))}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>

        <BroadcastForm />
        <UsersAccessPanel cameras={cameraList} />
        <ApiKeysPanel cameras={cameraList} />
        <KioskScreensPanel cameras={cameraList} />
        <AdminAlerts cameras={cameraList} />
      </div>
    </>
  );
}
