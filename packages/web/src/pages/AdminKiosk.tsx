/**
 * Kiosk screens: an admin gives a wall screen its own long-lived, read-only sign-in. Each screen is
 * an API key of a viewer account (optionally only some cameras), shown once as the screen's sign-in
 * link `/kiosk#key=…` (lib/kiosk-key.ts: the key rides in the fragment, which no browser sends to
 * the server). Revoking one shows "revoked" on that screen at once.
 */
import { ApiError } from '@openeye/client';
import type { ApiKey, Camera, User } from '@openeye/protocol';
import { useCallback, useEffect, useId, useState } from 'react';
import { Icon } from '../components/Icon';
import { kioskLink } from '../lib/kiosk-key';
import { api } from '../lib/services';
import { CameraPicker, KeyList, problem, ShownOnceDialog } from './AdminAccess';

/** The select's value for "a new viewer account for this screen". */
const NEW_ACCOUNT = 'new';

/** A username for a screen's own account, from its name: "Lobby wall" → "kiosk-lobby-wall". */
export function screenUsername(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `kiosk-${slug || 'screen'}`;
}

/** A password nobody needs to know (the screen signs in with its key). */
function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes));
}

/** A viewer account for a screen, the username made unique when taken (409). */
async function createScreenAccount(username: string): Promise<User> {
  for (let attempt = 0; ; attempt++) {
    const suffix = attempt === 0 ? '' : `-${Math.random().toString(36).slice(2, 6)}`;
    try {
      return await api.createUser({ username: `${username}${suffix}`, password: randomPassword(), role: 'viewer' });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409) || attempt >= 4) throw e;
    }
  }
}

function CreateScreenDialog({
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
  onCreated: (key: ApiKey, user: User | null) => void;
}) {
  const ids = { name: useId(), user: useId(), link: useId() };
  const viewers = users.filter((u) => u.role === 'viewer' && !u.disabled);
  const [name, setName] = useState('');
  const [account, setAccount] = useState<string>(NEW_ACCOUNT);
  const [scope, setScope] = useState<number[] | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return;
    setName('');
    setAccount(NEW_ACCOUNT);
    setScope(null);
    setLink(null);
    setError(null);
  }, [open]);
  const create = async () => {
    if (!name.trim()) {
      setError('Name the screen after where it hangs, e.g. Lobby wall.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      let made: User | null = null;
      let userId = Number(account);
      if (account === NEW_ACCOUNT) {
        made = await createScreenAccount(screenUsername(name));
        userId = made.id;
      }
      const key = await api.createApiKey({ name: name.trim(), user_id: userId, camera_ids: scope });
      setLink(kioskLink(window.location.origin, key.key));
      onCreated(key, made);
    } catch (e) {
      setError(problem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <ShownOnceDialog
      title={link ? 'Kiosk screen ready' : 'New kiosk screen'}
      open={open}
      onClose={onClose}
      secret={link}
      busy={busy}
      error={error}
      createLabel="Create screen"
      onCreate={() => void create()}
      copyLabel="Copy link"
      shown={
        <>
          <p>
            Open this link <strong>once</strong> in the wall screen's browser. The screen keeps its key, removes it from
            the address bar and stays signed in, read-only, until you revoke it here. The link is shown only now.
          </p>
          <p>
            <a
              href={link ?? ''}
              target="_blank"
              rel="noopener noreferrer"
              className="button button--small button--primary"
              data-testid="kiosk-open-link"
            >
              Open this screen's sign-in link
            </a>
          </p>
          <div className="field">
            <label htmlFor={ids.link}>Sign-in link (keep it secret: it signs a screen in)</label>
            <input id={ids.link} readOnly value={link ?? ''} className="mono" data-testid="kiosk-link" />
          </div>
        </>
      }
    >
      <div className="field">
        <label htmlFor={ids.name}>Screen</label>
        <input
          id={ids.name}
          value={name}
          maxLength={128}
          placeholder="e.g. Lobby wall"
          // biome-ignore lint/a11y/noAutofocus: the first field of a modal dialog (ShownOnceDialog), as before
          autoFocus
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.user}>Signs in as</label>
        <select id={ids.user} value={account} onChange={(e) => setAccount(e.target.value)}>
          <option value={NEW_ACCOUNT}>A new viewer account for this screen</option>
          {viewers.map((u) => (
            <option key={u.id} value={String(u.id)}>
              {u.username} (viewer)
            </option>
          ))}
        </select>
        <p className="field-hint">
          A viewer account: the screen shows what it may see and changes nothing (no alert is acknowledged from a wall).
        </p>
      </div>
      <CameraPicker value={scope} onChange={setScope} cameras={cameras} everyLabel="Every camera of that account" />
    </ShownOnceDialog>
  );
}

export function KioskScreensPanel({ cameras }: { cameras: Camera[] | null }) {
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
    if (
      !window.confirm(`Revoke "${key.name}"? That screen says so at once and shows nothing until given a new link.`)
    ) {
      return;
    }
    try {
      const revoked = await api.revokeApiKey(key.id);
      setKeys((list) => list?.map((k) => (k.id === revoked.id ? revoked : k)) ?? null);
    } catch (e) {
      setError(problem(e));
    }
  };
  const viewerIds = new Set(users.filter((u) => u.role === 'viewer').map((u) => u.id));
  const screens = keys?.filter((k) => viewerIds.has(k.user_id)) ?? null;
  return (
    <section className="card panel" aria-labelledby="kiosk-screens-title" data-testid="kiosk-screens">
      <header className="panel-head">
        <div>
          <h2 id="kiosk-screens-title" className="panel-title">
            Kiosk screens
          </h2>
          <p className="panel-sub">Wall screens that stay signed in, read-only, until revoked</p>
        </div>
        <button type="button" className="button button--small button--primary" onClick={() => setCreating(true)}>
          <Icon name="plus" size={14} /> New kiosk screen
        </button>
      </header>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <KeyList
        keys={screens}
        nameHeading="Screen"
        empty="No kiosk screens yet. Give each wall screen its own, so one can be revoked alone."
        users={users}
        cameras={cameras}
        onRevoke={(k) => void revoke(k)}
        rowTestId="kiosk-screen"
      />
      <CreateScreenDialog
        open={creating}
        users={users}
        cameras={cameras}
        onClose={() => setCreating(false)}
        onCreated={(key, made) => {
          if (made) setUsers((list) => [...list, made]);
          setKeys((list) => [...(list ?? []), key]);
        }}
      />
    </section>
  );
}
