/**
 * The admin's access panels: which cameras each account may see, and API keys for machines (the
 * keys of viewer accounts are kiosk screens: AdminKiosk.tsx lists them).
 */
import { ApiError } from '@openeye/client';
import type { ApiKey, Camera, User } from '@openeye/protocol';
import { type ReactNode, useCallback, useEffect, useId, useState } from 'react';
import { Dialog } from '../components/Dialog';
import { Icon } from '../components/Icon';
import { cameraName } from '../lib/cameras';
import { relativeTime } from '../lib/format';
import { api } from '../lib/services';

export function problem(e: unknown): string {
  if (e instanceof ApiError && e.status === 0) return 'The server cannot be reached. Try again.';
  return e instanceof Error ? e.message : 'That did not work.';
}

export function camerasLabel(ids: readonly number[] | null, list: Camera[] | null): string {
  if (ids === null) return 'All cameras';
  if (ids.length === 0) return 'No cameras';
  if (ids.length > 3) return `${ids.length} cameras`;
  return ids.map((id) => cameraName(id, list)).join(', ');
}

/** Choose "every camera" or some of them. */
export function CameraPicker({
  value,
  onChange,
  cameras,
  everyLabel,
}: {
  value: number[] | null;
  onChange: (next: number[] | null) => void;
  cameras: Camera[] | null;
  everyLabel: string;
}) {
  const name = useId();
  return (
    <fieldset className="camera-picker">
      <legend>Cameras</legend>
      <label className="check">
        <input type="radio" name={name} checked={value === null} onChange={() => onChange(null)} />
        <span>{everyLabel}</span>
      </label>
      <label className="check">
        <input type="radio" name={name} checked={value !== null} onChange={() => onChange(value ?? [])} />
        <span>Only these cameras:</span>
      </label>
      {value !== null ? (
        <ul className="check-list" aria-label="Cameras">
          {(cameras ?? []).map((c) => (
            <li key={c.id}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={value.includes(c.id)}
                  onChange={(e) => onChange(e.target.checked ? [...value, c.id] : value.filter((id) => id !== c.id))}
                />
                <span>{c.name}</span>
              </label>
            </li>
          ))}
          {cameras?.length === 0 ? <li className="muted">No cameras yet.</li> : null}
        </ul>
      ) : null}
    </fieldset>
  );
}

function UserCamerasDialog({
  user,
  cameras,
  onClose,
  onSaved,
}: {
  user: User | null;
  cameras: Camera[] | null;
  onClose: () => void;
  onSaved: (user: User) => void;
}) {
  const [value, setValue] = useState<number[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setValue(user?.camera_ids ?? null);
    setError(null);
  }, [user]);
  const save = async () => {
    if (!user) return;
    setBusy(true);
    try {
      onSaved(await api.updateUser(user.id, { camera_ids: value }));
      onClose();
    } catch (e) {
      setError(problem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={`Cameras ${user?.username ?? ''} may see`}
      open={user !== null}
      onClose={onClose}
      onSubmit={() => void save()}
      footer={
        <>
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      <p className="muted">
        Events, alerts and views of other cameras never reach this account, on any dashboard it has open. The change
        applies to its open dashboards within a second.
      </p>
      <CameraPicker value={value} onChange={setValue} cameras={cameras} everyLabel="Every camera" />
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}

export function UsersAccessPanel({ cameras }: { cameras: Camera[] | null }) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [editing, setEditing] = useState<User | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.listUsers().then(setUsers, (e) => setError(problem(e)));
  }, []);
  return (
    <section className="card panel" aria-labelledby="access-title" data-testid="users-access">
      <header className="panel-head">
        <div>
          <h2 id="access-title" className="panel-title">
            Accounts and cameras
          </h2>
          <p className="panel-sub">Limit an operator to the cameras of their site</p>
        </div>
        <Icon name="shield" size={20} className="muted" />
      </header>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {users === null ? (
        <div className="empty">Loading…</div>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Cameras</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>
                  <span className="cell-title">{u.username}</span>{' '}
                  <span className={`pill pill--role-${u.role}`}>{u.role}</span>
                  {u.disabled ? <span className="pill">disabled</span> : null}
                </td>
                <td>{u.role === 'admin' ? 'All cameras (admin)' : camerasLabel(u.camera_ids, cameras)}</td>
                <td className="cell-actions">
                  {u.role === 'admin' ? null : (
                    <button
                      type="button"
                      className="button button--small button--ghost"
                      onClick={() => setEditing(u)}
                      aria-label={`Choose the cameras ${u.username} may see`}
                    >
                      Cameras…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <UserCamerasDialog
        user={editing}
        cameras={cameras}
        onClose={() => setEditing(null)}
        onSaved={(saved) => setUsers((list) => list?.map((u) => (u.id === saved.id ? saved : u)) ?? null)}
      />
    </section>
  );
}

/**
 * A dialog that creates a secret and shows it once: the form (children) with Cancel and Create, then
 * what to do with the secret (`shown`) with a Copy button and Done; the error under either.
 */
export function ShownOnceDialog({
  title,
  open,
  onClose,
  secret,
  busy,
  error,
  createLabel,
  onCreate,
  copyLabel,
  shown,
  children,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  /** The secret once created (null: the form). */
  secret: string | null;
  busy: boolean;
  error: string | null;
  createLabel: string;
  onCreate: () => void;
  copyLabel: string;
  shown: ReactNode;
  children: ReactNode;
}) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (open) setCopied(false);
  }, [open]);
  const copy = async () => {
    if (!secret) return;
    await navigator.clipboard?.writeText(secret).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <Dialog
      title={title}
      open={open}
      onClose={onClose}
      onSubmit={() => (secret ? onClose() : onCreate())}
      footer={
        secret ? (
          <button type="submit" className="button button--primary">
            Done
          </button>
        ) : (
          <>
            <button type="button" className="button button--ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button button--primary" disabled={busy}>
              {busy ? 'Creating…' : createLabel}
            </button>
          </>
        )
      }
    >
      {secret ? (
        <>
          {shown}
          <button type="button" className="button button--small" onClick={() => void copy()}>
            {copied ? 'Copied' : copyLabel}
          </button>
        </>
      ) : (
        children
      )}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}

function CreateKeyDialog({
  open,
  users,
  cameras,
  onClose,
  onCreated,
}: {
  open: boolean;
  users: User[];
  cameras: Camera[] | null;
  onClose: () => void;
  onCreated: (key: ApiKey) => void;
}) {
  const ids = { name: useId(), user: useId(), key: useId() };
  const owners = users.filter((u) => u.role !== 'viewer' && !u.disabled);
  const [name, setName] = useState('');
  const [userId, setUserId] = useState<number | null>(null);
  const [scope, setScope] = useState<number[] | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return;
    setName('');
    setUserId(null);
    setScope(null);
    setCreated(null);
    setError(null);
  }, [open]);
  const create = async () => {
    const owner = userId ?? owners[0]?.id;
    if (!name.trim() || owner === undefined) {
      setError(owner === undefined ? 'Create a producer account first.' : 'Name the key after what uses it.');
      return;
    }
    setBusy(true);
    try {
      const key = await api.createApiKey({ name: name.trim(), user_id: owner, camera_ids: scope });
      setCreated(key.key);
      onCreated(key);
    } catch (e) {
      setError(problem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <ShownOnceDialog
      title={created ? 'API key created' : 'New API key'}
      open={open}
      onClose={onClose}
      secret={created}
      busy={busy}
      error={error}
      createLabel="Create key"
      onCreate={() => void create()}
      copyLabel="Copy"
      shown={
        <>
          <p>
            Copy the key now: it is shown <strong>once</strong>. The camera or pipeline sends it as{' '}
            <code>Authorization: Bearer …</code>.
          </p>
          <div className="field">
            <label htmlFor={ids.key}>Key</label>
            <input id={ids.key} readOnly value={created ?? ''} className="mono" data-testid="new-api-key" />
          </div>
        </>
      }
    >
      <div className="field">
        <label htmlFor={ids.name}>What uses it</label>
        <input
          id={ids.name}
          value={name}
          maxLength={128}
          placeholder="e.g. Front door camera"
          // biome-ignore lint/a11y/noAutofocus: the first field of a modal dialog (ShownOnceDialog), as before
          autoFocus
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.user}>Acts for</label>
        <select id={ids.user} value={userId ?? owners[0]?.id ?? ''} onChange={(e) => setUserId(Number(e.target.value))}>
          {owners.map((u) => (
            <option key={u.id} value={u.id}>
              {u.username} ({u.role})
            </option>
          ))}
        </select>
      </div>
      <CameraPicker value={scope} onChange={setScope} cameras={cameras} everyLabel="Every camera of that account" />
    </ShownOnceDialog>
  );
}

/** A list of API keys (machines' or kiosk screens'): who owns each, its cameras, when last used, Revoke. */
export function KeyList({
  keys,
  nameHeading,
  empty,
  users,
  cameras,
  onRevoke,
  rowTestId,
}: {
  keys: ApiKey[] | null;
  nameHeading: string;
  empty: string;
  /** Who the keys act for (an unknown id shows as "User n"). */
  users: User[];
  cameras: Camera[] | null;
  onRevoke: (key: ApiKey) => void;
  rowTestId?: string;
}) {
  if (keys === null) return <div className="empty">Loading…</div>;
  if (keys.length === 0) {
    return (
      <div className="empty">
        <p>{empty}</p>
      </div>
    );
  }
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">{nameHeading}</th>
          <th scope="col" className="hide-narrow">
            Cameras
          </th>
          <th scope="col">Last used</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr key={k.id} className={k.revoked_at ? 'is-muted' : undefined} data-testid={rowTestId}>
            <td>
              <span className="cell-title">{k.name}</span>
              <div className="cell-sub mono">
                {k.prefix}… · {users.find((u) => u.id === k.user_id)?.username ?? `User ${k.user_id}`}
              </div>
            </td>
            <td className="hide-narrow">{camerasLabel(k.camera_ids, cameras)}</td>
            <td>{k.revoked_at ? 'Revoked' : k.last_used_at ? relativeTime(k.last_used_at, Date.now()) : 'Never'}</td>
            <td className="cell-actions">
              {k.revoked_at ? null : (
                <button
                  type="button"
                  className="button button--small button--ghost"
                  onClick={() => onRevoke(k)}
                  aria-label={`Revoke ${k.name}`}
                >
                  Revoke
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ApiKeysPanel({ cameras }: { cameras: Camera[] | null }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [users, setUsers] = useState<User[]>([]);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    Promise.all([api.listApiKeys(), api.listUsers()]).then(
      ([k, u]) => {
        setKeys(k);
        setUsers(u);
      },
      (e) => setError(problem(e)),
    );
  }, []);
  useEffect(load, [load]);
  const revoke = async (key: ApiKey) => {
    if (!window.confirm(`Revoke "${key.name}"? Whatever uses it is refused from its next request on.`)) return;
    try {
      const revoked = await api.revokeApiKey(key.id);
      setKeys((list) => list?.map((k) => (k.id === revoked.id ? revoked : k)) ?? null);
    } catch (e) {
      setError(problem(e));
    }
  };
  // Keys of viewer accounts are kiosk screens, listed in their own panel.
  const viewerIds = new Set(users.filter((u) => u.role === 'viewer').map((u) => u.id));
  const machines = keys?.filter((k) => !viewerIds.has(k.user_id)) ?? null;
  return (
    <section className="card panel" aria-labelledby="keys-title" data-testid="api-keys">
      <header className="panel-head">
        <div>
          <h2 id="keys-title" className="panel-title">
            API keys
          </h2>
          <p className="panel-sub">Credentials for cameras, pipelines and bridges</p>
        </div>
        <button type="button" className="button button--small button--primary" onClick={() => setCreating(true)}>
          <Icon name="plus" size={14} /> New key
        </button>
      </header>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <KeyList
        keys={machines}
        nameHeading="Key"
        empty="No API keys yet. Give each camera or pipeline its own, so one can be revoked alone."
        users={users}
        cameras={cameras}
        onRevoke={(k) => void revoke(k)}
      />
      <CreateKeyDialog
        open={creating}
        users={users}
        cameras={cameras}
        onClose={() => setCreating(false)}
        onCreated={(key) => setKeys((list) => [...(list ?? []), key])}
      />
    </section>
  );
}
