/**
 * Admin: alert escalation. Rules (alert types and/or cameras, a delay, webhooks and/or Web Push),
 * webhooks (the signing secret shown once), each webhook's delivery log with "Send again", and this
 * device's push opt-in.
 */
import { ApiError } from '@openeye/client';
import type { AlertType, Camera, Delivery, EscalationRule, Webhook } from '@openeye/protocol';
import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import { PushOptIn } from '../components/PushOptIn';
import { cameraName } from '../lib/cameras';
import { clockTime } from '../lib/format';
import { api } from '../lib/services';

const TYPES: AlertType[] = ['info', 'warning', 'critical'];

const errorText = (e: unknown) =>
  e instanceof ApiError && e.status === 0
    ? 'The server cannot be reached.'
    : e instanceof Error
      ? e.message
      : 'Failed.';

function RuleForm({ webhooks, cameras, onSaved }: { webhooks: Webhook[]; cameras: Camera[]; onSaved: () => void }) {
  const [name, setName] = useState('');
  const [after, setAfter] = useState(300);
  const [types, setTypes] = useState<AlertType[]>([]);
  const [cameraIds, setCameraIds] = useState<number[]>([]);
  const [hooks, setHooks] = useState<number[]>([]);
  const [push, setPush] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { name: useId(), after: useId() };
  const toggle = <T,>(list: T[], value: T) =>
    list.includes(value) ? list.filter((v) => v !== value) : [...list, value];

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await api.createEscalationRule({
        name: name.trim() || 'Escalation',
        after_seconds: after,
        alert_types: types.length ? types : null,
        camera_ids: cameraIds.length ? cameraIds : null,
        webhook_ids: hooks,
        push,
      });
      setName('');
      onSaved();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <form className="form-grid" onSubmit={(e) => void save(e)} aria-label="New escalation rule">
      <div className="field">
        <label htmlFor={ids.name}>Name</label>
        <input id={ids.name} value={name} maxLength={128} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={ids.after}>Open (not acknowledged) for, seconds</label>
        <input
          id={ids.after}
          type="number"
          min={0}
          max={604800}
          value={after}
          onChange={(e) => setAfter(Number(e.target.value))}
        />
      </div>
      <fieldset className="field">
        <legend>Alert types (none: all)</legend>
        {TYPES.map((t) => (
          <label key={t} className="check">
            <input type="checkbox" checked={types.includes(t)} onChange={() => setTypes(toggle(types, t))} /> {t}
          </label>
        ))}
      </fieldset>
      <fieldset className="field">
        <legend>Cameras (none: all)</legend>
        {cameras.map((c) => (
          <label key={c.id} className="check">
            <input
              type="checkbox"
              checked={cameraIds.includes(c.id)}
              onChange={() => setCameraIds(toggle(cameraIds, c.id))}
            />{' '}
            {c.name}
          </label>
        ))}
      </fieldset>
      <fieldset className="field">
        <legend>Notify</legend>
        {webhooks.map((w) => (
          <label key={w.id} className="check">
            <input type="checkbox" checked={hooks.includes(w.id)} onChange={() => setHooks(toggle(hooks, w.id))} />{' '}
            Webhook {w.name}
          </label>
        ))}
        <label className="check">
          <input type="checkbox" checked={push} onChange={(e) => setPush(e.target.checked)} /> Web Push to operators
        </label>
      </fieldset>
      {error ? <p className="form-error">{error}</p> : null}
      <button type="submit" className="button button--primary">
        Add rule
      </button>
    </form>
  );
}

function WebhookForm({ onSaved }: { onSaved: (secret: string) => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [error, setError] = useState<string | null>(null);
  const ids = { name: useId(), url: useId() };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const created = await api.createWebhook({ name: name.trim() || 'Webhook', url: url.trim() });
      setName('');
      setUrl('');
      onSaved(created.secret);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <form className="form-grid" onSubmit={(e) => void save(e)} aria-label="New webhook">
      <div className="field">
        <label htmlFor={ids.name}>Name</label>
        <input id={ids.name} value={name} maxLength={128} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={ids.url}>URL (http or https)</label>
        <input id={ids.url} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
      </div>
      {error ? <p className="form-error">{error}</p> : null}
      <button type="submit" className="button button--primary">
        Add webhook
      </button>
    </form>
  );
}

function DeliveryLog({ webhook }: { webhook: Webhook }) {
  const [log, setLog] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api.webhookDeliveries(webhook.id, 50).then(setLog, (e) => setError(errorText(e)));
  }, [webhook.id]);
  useEffect(load, [load]);
  if (error) return <p className="form-error">{error}</p>;
  if (!log) return <p>Loading…</p>;
  if (log.length === 0) return <p className="muted">No deliveries yet.</p>;
  return (
    <table className="table" aria-label={`Deliveries of ${webhook.name}`}>
      <thead>
        <tr>
          <th>#</th>
          <th>Alert</th>
          <th>Status</th>
          <th>Attempts</th>
          <th>Last answer</th>
          <th>Queued</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {log.map((d) => (
          <tr key={d.id}>
            <td className="num">{d.id}</td>
            <td className="num">{d.alert_id ?? '—'}</td>
            <td>{d.status}</td>
            <td className="num">{d.attempts}</td>
            <td>{d.last_error ?? d.last_status_code ?? '—'}</td>
            <td>{clockTime(d.created_at)}</td>
            <td>
              <button
                type="button"
                className="button button--small button--ghost"
                onClick={() => void api.resendDelivery(webhook.id, d.id).then(load, (e) => setError(errorText(e)))}
              >
                Send again
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AdminAlerts({ cameras }: { cameras: Camera[] | null }) {
  const [rules, setRules] = useState<EscalationRule[]>([]);
  const [webhooks, setWebhooks] = useState<Webhook[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    Promise.all([api.listEscalationRules(), api.listWebhooks()]).then(
      ([r, w]) => {
        setRules(r);
        setWebhooks(w);
      },
      (e) => setError(errorText(e)),
    );
  }, []);
  useEffect(load, [load]);
  const cameraList = cameras ?? [];
  const remove = (p: Promise<void>) => void p.then(load, (e) => setError(errorText(e)));

  return (
    <section className="card panel" aria-labelledby="alerts-admin-title">
      <header className="panel-head">
        <div>
          <h2 id="alerts-admin-title" className="panel-title">
            Alert escalation
          </h2>
          <p className="panel-sub">Who is told when an alert stays open</p>
        </div>
      </header>
      {error ? <p className="form-error">{error}</p> : null}

      <h3>Rules</h3>
      <ul className="list">
        {rules.map((r) => (
          <li key={r.id}>
            <strong>{r.name}</strong>: {r.alert_types?.join(', ') ?? 'every type'},{' '}
            {r.camera_ids ? r.camera_ids.map((id) => cameraName(id, cameraList)).join(', ') : 'every camera'}, open{' '}
            {r.after_seconds} s →{' '}
            {[
              ...r.webhook_ids.map((id) => `webhook ${webhooks.find((w) => w.id === id)?.name ?? id}`),
              ...(r.push ? ['Web Push'] : []),
            ].join(', ') || 'nobody'}{' '}
            <button
              type="button"
              className="button button--small button--ghost"
              onClick={() => remove(api.deleteEscalationRule(r.id))}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      <RuleForm webhooks={webhooks} cameras={cameraList} onSaved={load} />

      <h3>Webhooks</h3>
      {secret ? (
        <p role="status">
          Signing secret (shown once, keep it with the receiver): <code>{secret}</code>
        </p>
      ) : null}
      <ul className="list">
        {webhooks.map((w) => (
          <li key={w.id}>
            <strong>{w.name}</strong> <code>{w.url}</code> {w.enabled ? '' : '(disabled)'}{' '}
            <button
              type="button"
              className="button button--small button--ghost"
              aria-expanded={open === w.id}
              onClick={() => setOpen(open === w.id ? null : w.id)}
            >
              Delivery log
            </button>{' '}
            <button
              type="button"
              className="button button--small button--ghost"
              onClick={() => remove(api.deleteWebhook(w.id))}
            >
              Delete
            </button>
            {open === w.id ? <DeliveryLog webhook={w} /> : null}
          </li>
        ))}
      </ul>
      <WebhookForm
        onSaved={(s) => {
          setSecret(s);
          load();
        }}
      />

      <h3>This device</h3>
      <PushOptIn />
    </section>
  );
}
