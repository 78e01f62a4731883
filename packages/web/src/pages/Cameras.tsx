import { ApiError } from '@openeye/client';
import type { Camera, CreateCameraRequest, UpdateCameraRequest } from '@openeye/protocol';
import { useId, useState } from 'react';
import { Dialog } from '../components/Dialog';
import { Icon } from '../components/Icon';
import { canEdit, useUser } from '../lib/auth';
import { cameras, removeCamera, upsertCamera } from '../lib/cameras';
import { formatDateTime, relativeTime } from '../lib/format';
import { useNow, useTitle } from '../lib/hooks';
import { seed } from '../lib/live';
import { Link } from '../lib/router';
import { api, client } from '../lib/services';
import { useStore } from '../lib/store';
import '../media.css';
import { setWatched, watched } from '../lib/watch';

interface Draft {
  name: string;
  location: string;
  active: boolean;
  recording: boolean;
  /** Live sources (admins only); as the server shows them, the password as `***`. */
  snapshotUrl: string;
  mjpegUrl: string;
}

const EMPTY: Draft = { name: '', location: '', active: true, recording: false, snapshotUrl: '', mjpegUrl: '' };

const SOURCE_URL = /^https?:\/\/\S+$/i;

function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return 'The server cannot be reached. Try again.';
    if (error.status === 403) return 'Your role does not allow this.';
    return error.message;
  }
  return 'Something went wrong. Try again.';
}

function CameraDialog({
  camera,
  onClose,
  isAdmin,
}: {
  camera: Camera | 'new' | null;
  onClose: () => void;
  isAdmin: boolean;
}) {
  const editing = camera !== null && camera !== 'new' ? camera : null;
  const initial: Draft = editing
    ? {
        name: editing.name,
        location: editing.location ?? '',
        active: editing.active,
        recording: editing.recording,
        snapshotUrl: editing.snapshot_url ?? '',
        mjpegUrl: editing.mjpeg_url ?? '',
      }
    : EMPTY;
  const [draft, setDraft] = useState<Draft>(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { name: useId(), location: useId(), error: useId(), snapshot: useId(), mjpeg: useId() };

  const submit = async () => {
    if (!draft.name.trim()) {
      setError('Give the camera a name.');
      return;
    }
    for (const [label, value] of [
      ['snapshot URL', draft.snapshotUrl],
      ['MJPEG stream URL', draft.mjpegUrl],
    ] as const) {
      if (value.trim() && !SOURCE_URL.test(value.trim())) {
        setError(`The ${label} must start with http:// or https://.`);
        return;
      }
    }
    setBusy(true);
    setError(null);
    try {
      const body: UpdateCameraRequest & CreateCameraRequest = {
        name: draft.name.trim(),
        location: draft.location.trim() || null,
        active: draft.active,
        recording: draft.recording,
      };
      // Sent only when changed: the server shows a password as ***, which must not be saved back.
      if (isAdmin && draft.snapshotUrl.trim() !== initial.snapshotUrl)
        body.snapshot_url = draft.snapshotUrl.trim() || null;
      if (isAdmin && draft.mjpegUrl.trim() !== initial.mjpegUrl) body.mjpeg_url = draft.mjpegUrl.trim() || null;
      upsertCamera(editing ? await api.updateCamera(editing.id, body) : await api.createCamera(body));
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={editing ? `Edit ${editing.name}` : 'Add camera'}
      open={camera !== null}
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <>
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Saving…' : editing ? 'Save changes' : 'Add camera'}
          </button>
        </>
      }
    >
      <div className="field">
        <label htmlFor={ids.name}>Name</label>
        <input
          id={ids.name}
          value={draft.name}
          maxLength={128}
          required
          autoFocus
          aria-describedby={error ? ids.error : undefined}
          onChange={(e) => setDraft({ ...draft, name: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.location}>
          Location <span className="optional">optional</span>
        </label>
        <input
          id={ids.location}
          value={draft.location}
          maxLength={256}
          placeholder="e.g. Building A, ground floor"
          onChange={(e) => setDraft({ ...draft, location: e.target.value })}
        />
      </div>
      <div className="switches">
        <label className="switch">
          <input
            type="checkbox"
            checked={draft.active}
            onChange={(e) => setDraft({ ...draft, active: e.target.checked })}
          />
          <span className="switch-track" aria-hidden="true" />
          Online
        </label>
        <label className="switch">
          <input
            type="checkbox"
            checked={draft.recording}
            onChange={(e) => setDraft({ ...draft, recording: e.target.checked })}
          />
          <span className="switch-track" aria-hidden="true" />
          Recording
        </label>
      </div>
      {isAdmin ? (
        <fieldset className="source-fields">
          <legend>Live picture</legend>
          <p className="field-note">
            The server fetches these only while someone watches the camera. Leave empty when a producer pushes frames.
          </p>
          <div className="field">
            <label htmlFor={ids.snapshot}>
              Snapshot URL <span className="optional">optional</span>
            </label>
            <input
              id={ids.snapshot}
              type="text"
              inputMode="url"
              value={draft.snapshotUrl}
              maxLength={2048}
              placeholder="http://camera.local/snapshot.jpg"
              onChange={(e) => setDraft({ ...draft, snapshotUrl: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.mjpeg}>
              MJPEG stream URL <span className="optional">optional</span>
            </label>
            <input
              id={ids.mjpeg}
              type="text"
              inputMode="url"
              value={draft.mjpegUrl}
              maxLength={2048}
              placeholder="http://camera.local/video.mjpg"
              onChange={(e) => setDraft({ ...draft, mjpegUrl: e.target.value })}
            />
          </div>
        </fieldset>
      ) : null}
      {error ? (
        <p className="form-error" id={ids.error} role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}

function DeleteDialog({ camera, onClose }: { camera: Camera | null; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    if (!camera) return;
    setBusy(true);
    setError(null);
    try {
      await api.deleteCamera(camera.id);
      removeCamera(camera.id);
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Delete camera"
      open={camera !== null}
      onClose={onClose}
      onSubmit={() => void confirm()}
      footer={
        <>
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--danger" disabled={busy}>
            {busy ? 'Deleting…' : 'Delete camera'}
          </button>
        </>
      }
    >
      <p>
        Delete <strong>{camera?.name}</strong>? It stops appearing on the dashboard; events it already sent stay in the
        history.
      </p>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}

export function CamerasPage() {
  useTitle('Cameras');
  const user = useUser();
  const isAdmin = user.role === 'admin';
  const editable = canEdit(user.role);
  const { list, error } = useStore(cameras);
  const watchedIds = useStore(watched);
  const now = useNow(5000);
  const [editing, setEditing] = useState<Camera | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Camera | null>(null);

  const toggleWatch = (id: number) => {
    const next = watchedIds.includes(id) ? watchedIds.filter((w) => w !== id) : [...watchedIds, id];
    setWatched(next);
    const cameraIds = next.length > 0 ? next : null;
    client.subscribe(['camera_event', 'alert'], { cameraIds });
    void seed(api, cameraIds);
  };

  const online = list?.filter((c) => c.active).length ?? 0;
  const recording = list?.filter((c) => c.recording).length ?? 0;

  return (
    <>
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>Cameras</h1>
          <p className="page-sub num">
            {list ? `${list.length} cameras · ${online} online · ${recording} recording` : 'Loading…'}
          </p>
        </div>
        {isAdmin ? (
          <button type="button" className="button button--primary" onClick={() => setEditing('new')}>
            <Icon name="plus" size={16} /> Add camera
          </button>
        ) : null}
      </div>

      <p className="hint">
        <Icon name="star" size={14} /> Star the cameras you watch: the dashboard then shows only their events and
        alerts, and admins see you among their watchers.
      </p>

      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}

      <section className="card table-card" aria-label="Cameras">
        <table className="table table--responsive" data-testid="cameras-table">
          <thead>
            <tr>
              <th scope="col" className="col-watch">
                <span className="sr-only">Watch</span>
              </th>
              <th scope="col">Camera</th>
              <th scope="col">Status</th>
              <th scope="col">Recording</th>
              <th scope="col">Last seen</th>
              <th scope="col" className="hide-narrow">
                Added
              </th>
              {editable ? (
                <th scope="col" className="col-actions">
                  <span className="sr-only">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {(list ?? []).map((c) => {
              const isWatched = watchedIds.includes(c.id);
              return (
                <tr key={c.id} data-camera-id={c.id}>
                  <td className="col-watch">
                    <button
                      type="button"
                      className={`icon-button star${isWatched ? ' is-on' : ''}`}
                      aria-pressed={isWatched}
                      aria-label={`Watch ${c.name}`}
                      onClick={() => toggleWatch(c.id)}
                    >
                      <Icon name="star" size={18} />
                    </button>
                  </td>
                  <td className="col-main">
                    <div className="cell-title">
                      <Link href={`/cameras/${c.id}`}>{c.name}</Link>
                    </div>
                    <div className="cell-sub">{c.location ?? 'No location'}</div>
                  </td>
                  <td data-label="Status">
                    <span className={`pill ${c.active ? 'pill--success' : 'pill--muted'}`} data-testid="camera-status">
                      <span className={`dot ${c.active ? 'dot--on' : 'dot--off'}`} aria-hidden="true" />
                      {c.active ? 'Online' : 'Offline'}
                    </span>
                  </td>
                  <td data-label="Recording">
                    {c.recording ? (
                      <span className="pill pill--danger">
                        <span className="dot dot--rec" aria-hidden="true" />
                        Recording
                      </span>
                    ) : (
                      <span className="pill pill--muted">Idle</span>
                    )}
                  </td>
                  <td data-label="Last seen" className="num">
                    <span title={formatDateTime(c.last_seen_at)}>{relativeTime(c.last_seen_at, now)}</span>
                  </td>
                  <td data-label="Added" className="cell-sub hide-narrow">
                    {formatDateTime(c.created_at)}
                  </td>
                  {editable ? (
                    <td className="col-actions">
                      <div className="row-actions">
                        <button
                          type="button"
                          className="icon-button"
                          aria-label={`Edit ${c.name}`}
                          title="Edit"
                          onClick={() => setEditing(c)}
                        >
                          <Icon name="edit" size={16} />
                        </button>
                        {isAdmin ? (
                          <button
                            type="button"
                            className="icon-button icon-button--danger"
                            aria-label={`Delete ${c.name}`}
                            title="Delete"
                            onClick={() => setDeleting(c)}
                          >
                            <Icon name="trash" size={16} />
                          </button>
                        ) : null}
                      </div>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
        {list && list.length === 0 ? (
          <div className="empty">
            <Icon name="camera" size={24} />
            <p>No cameras yet.{isAdmin ? ' Add the first one.' : ''}</p>
          </div>
        ) : null}
      </section>

      {editing !== null ? <CameraDialog camera={editing} isAdmin={isAdmin} onClose={() => setEditing(null)} /> : null}
      <DeleteDialog camera={deleting} onClose={() => setDeleting(null)} />
    </>
  );
}
