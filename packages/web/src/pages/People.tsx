import { ApiError } from '@openeye/client';
import { useStatistics } from '@openeye/client/react';
import type { Person } from '@openeye/protocol';
import { type FormEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Dialog } from '../components/Dialog';
import { Icon } from '../components/Icon';
import { canEdit, useUser } from '../lib/auth';
import { formatDateTime } from '../lib/format';
import { useTitle } from '../lib/hooks';
import { api } from '../lib/services';

function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return 'The server cannot be reached. Try again.';
    if (error.status === 403) return 'Your role does not allow this.';
    return error.message;
  }
  return 'Something went wrong. Try again.';
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase();
}

export function Avatar({ name }: { name: string }) {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return (
    <span
      className="avatar"
      style={{ '--avatar-hue': ((hash >>> 3) % 12) * 30 } as React.CSSProperties}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  );
}

export function PeoplePage() {
  useTitle('People');
  const user = useUser();
  const editable = canEdit(user.role);
  const stats = useStatistics();
  const [people, setPeople] = useState<Person[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [adding, setAdding] = useState(false);
  const [addError, setAddError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [deleting, setDeleting] = useState<Person | null>(null);
  const [deleteBusy, setDeleteBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const ids = { name: useId(), search: useId(), error: useId() };

  const load = useCallback(async () => {
    try {
      const list = await api.listPeople();
      setPeople([...list].sort((a, b) => a.name.localeCompare(b.name)));
      setLoadError(null);
    } catch (e) {
      setLoadError(errorText(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  // Someone else added or removed a person: the statistics say so, reload (once per change of the total).
  const total = stats?.face_recognition.total_people;
  const count = useRef<number | null>(null);
  count.current = people?.length ?? null;
  useEffect(() => {
    if (total !== undefined && count.current !== null && total !== count.current) void load();
  }, [total, load]);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setAddError('Type a name first.');
      return;
    }
    setAdding(true);
    setAddError(null);
    try {
      const person = await api.createPerson({ name: trimmed });
      setPeople((list) => [...(list ?? []), person].sort((a, b) => a.name.localeCompare(b.name)));
      setName('');
    } catch (e) {
      setAddError(errorText(e));
    } finally {
      setAdding(false);
    }
  };

  const remove = async () => {
    if (!deleting) return;
    setDeleteBusy(true);
    setDeleteError(null);
    try {
      await api.deletePerson(deleting.id);
      setPeople((list) => list?.filter((p) => p.id !== deleting.id) ?? null);
      setDeleting(null);
    } catch (e) {
      setDeleteError(errorText(e));
    } finally {
      setDeleteBusy(false);
    }
  };

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (people ?? []).filter((p) => !q || p.name.toLowerCase().includes(q));
  }, [people, query]);

  return (
    <>
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>People</h1>
          <p className="page-sub num">{people ? `${people.length} enrolled for recognition` : 'Loading…'}</p>
        </div>
      </div>

      <div className="toolbar">
        {editable ? (
          <form className="inline-form" onSubmit={(e) => void add(e)} aria-label="Add a person">
            <label htmlFor={ids.name} className="sr-only">
              Full name
            </label>
            <input
              id={ids.name}
              value={name}
              maxLength={128}
              placeholder="Full name"
              autoComplete="off"
              aria-describedby={addError ? ids.error : undefined}
              onChange={(e) => setName(e.target.value)}
            />
            <button type="submit" className="button button--primary" disabled={adding}>
              <Icon name="plus" size={16} /> {adding ? 'Adding…' : 'Add person'}
            </button>
          </form>
        ) : null}
        <div className="search">
          <Icon name="search" size={16} />
          <label htmlFor={ids.search} className="sr-only">
            Search people
          </label>
          <input
            id={ids.search}
            type="search"
            value={query}
            placeholder="Search"
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
      </div>
      {addError ? (
        <p className="form-error" id={ids.error} role="alert">
          {addError}
        </p>
      ) : null}
      {loadError ? (
        <p className="form-error" role="alert">
          {loadError}
        </p>
      ) : null}

      <section className="card table-card" aria-label="People">
        <table className="table table--responsive" data-testid="people-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Enrolled</th>
              {editable ? (
                <th scope="col" className="col-actions">
                  <span className="sr-only">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={p.id}>
                <td className="col-main">
                  <div className="cell-person">
                    <Avatar name={p.name} />
                    <span className="cell-title">{p.name}</span>
                  </div>
                </td>
                <td data-label="Enrolled" className="cell-sub">
                  {formatDateTime(p.created_at)}
                </td>
                {editable ? (
                  <td className="col-actions">
                    <div className="row-actions">
                      <button
                        type="button"
                        className="icon-button icon-button--danger"
                        aria-label={`Delete ${p.name}`}
                        title="Delete"
                        onClick={() => {
                          setDeleteError(null);
                          setDeleting(p);
                        }}
                      >
                        <Icon name="trash" size={16} />
                      </button>
                    </div>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {people && shown.length === 0 ? (
          <div className="empty">
            <Icon name="users" size={24} />
            <p>{people.length === 0 ? 'Nobody enrolled yet.' : 'Nobody matches this search.'}</p>
          </div>
        ) : null}
      </section>

      <Dialog
        title="Delete person"
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        onSubmit={() => void remove()}
        footer={
          <>
            <button type="button" className="button button--ghost" onClick={() => setDeleting(null)}>
              Cancel
            </button>
            <button type="submit" className="button button--danger" disabled={deleteBusy}>
              {deleteBusy ? 'Deleting…' : 'Delete'}
            </button>
          </>
        }
      >
        <p>
          Delete <strong>{deleting?.name}</strong>? They will no longer be recognized; past recognitions stay in the
          history.
        </p>
        {deleteError ? (
          <p className="form-error" role="alert">
            {deleteError}
          </p>
        ) : null}
      </Dialog>
    </>
  );
}
