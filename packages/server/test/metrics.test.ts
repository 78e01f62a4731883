/**
 * `/metrics` of a real server (issue 16, HTTP and operations): the standard process and Node.js
 * metrics under their standard names, the domain counters moving with what is stored, the build
 * info, the optional bearer token; and the Grafana dashboard and alert rules in docs/ naming only
 * metrics a real scrape has, so they cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startTestServer, type TestServer } from '../src/testing.js';
import { api } from './helpers.js';

const root = new URL('../../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** The samples of a scrape by series (`name{labels}` as printed), and the metric names it declares. */
function parseScrape(text: string): { samples: Map<string, number>; names: Set<string> } {
  const samples = new Map<string, number>();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const declared = /^# TYPE (\S+) (\S+)/.exec(line);
    if (declared) {
      const [, name, type] = declared;
      names.add(name!);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { samples, names };
}

async function scrape(t: TestServer, token?: string) {
  const res = await fetch(`${t.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseScrape(await res.text());
}

describe('/metrics', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('has the standard process and Node.js metrics under their standard names', async () => {
    const { names } = await scrape(t);
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_cpu_system_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'process_open_fds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_gc_duration_seconds',
      'nodejs_version_info',
    ]) {
      expect(names, name).toContain(name);
    }
    expect([...names].filter((n) => n.startsWith('openeye_process_'))).toEqual([]);
  });

  it('has openeye_build_info with the package version', async () => {
    const { samples } = await scrape(t);
    expect(samples.get(`openeye_build_info{version="${pkg.version}"}`)).toBe(1);
  });

  it('counts what is stored: events by type, recognitions known and unknown, alerts by severity, open alerts', async () => {
    const producer = await t.tokenFor('metrics-producer', 'producer');
    const cam = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Metered' })).body.id as number;
    const person = (await api(t.url, 'POST', '/api/people', t.adminToken, { name: 'Known One' })).body.id as number;
    const before = (await scrape(t)).samples;
    const delta = (after: Map<string, number>, series: string) => (after.get(series) ?? 0) - (before.get(series) ?? 0);

    expect(
      (await api(t.url, 'POST', `/api/cameras/${cam}/events`, producer, { event_type: 'motion_detected' })).status,
    ).toBe(201);
    expect(
      (await api(t.url, 'POST', `/api/cameras/${cam}/events`, producer, { event_type: 'a_custom_thing' })).status,
    ).toBe(201);
    expect(
      (await api(t.url, 'POST', '/api/recognitions', producer, { camera_id: cam, person_id: person })).status,
    ).toBe(201);
    expect((await api(t.url, 'POST', '/api/recognitions', producer, { camera_id: cam, person_id: null })).status).toBe(
      201,
    );
    expect(
      (await api(t.url, 'POST', '/api/alerts', producer, { alert_type: 'critical', message: 'Door forced' })).status,
    ).toBe(201);

    const after = (await scrape(t)).samples;
    expect(delta(after, 'openeye_events_stored_total{type="camera_event",event_type="motion_detected"}')).toBe(1);
    // Free-form event types share one label value (no unbounded label).
    expect(delta(after, 'openeye_events_stored_total{type="camera_event",event_type="other"}')).toBe(1);
    expect(delta(after, 'openeye_events_stored_total{type="camera_event",event_type="face_recognized"}')).toBe(1);
    expect(delta(after, 'openeye_events_stored_total{type="camera_event",event_type="unknown_face"}')).toBe(1);
    expect(delta(after, 'openeye_events_stored_total{type="alert",event_type="critical"}')).toBe(1);
    expect(delta(after, 'openeye_events_stored_total{type="alert",event_type="warning"}')).toBe(1);
    expect(delta(after, 'openeye_recognitions_total{result="known"}')).toBe(1);
    expect(delta(after, 'openeye_recognitions_total{result="unknown"}')).toBe(1);
    expect(delta(after, 'openeye_alerts_total{severity="critical"}')).toBe(1);
    expect(delta(after, 'openeye_alerts_total{severity="warning"}')).toBe(1);
    expect(delta(after, 'openeye_alerts_open{severity="critical"}')).toBe(1);
    expect(delta(after, 'openeye_alerts_open{severity="warning"}')).toBe(1);

    // Resolving an alert moves it out of the open gauge (read from the alert store at scrape time).
    const alerts = await api(t.url, 'GET', '/api/alerts?state=open', t.adminToken);
    const critical = (alerts.body.alerts as { id: string; alert_type: string; version: number }[]).find(
      (a) => a.alert_type === 'critical',
    )!;
    const resolved = await api(t.url, 'POST', `/api/alerts/${critical.id}/resolve`, t.adminToken, {
      version: critical.version,
    });
    expect(resolved.status).toBe(200);
    const later = (await scrape(t)).samples;
    expect(delta(later, 'openeye_alerts_open{severity="critical"}')).toBe(0);
    expect(delta(later, 'openeye_events_stored_total{type="alert_update",event_type="resolve"}')).toBe(1);
  });

  it('has no token check when OPENEYE_METRICS_TOKEN is not set', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(200);
  });
});

describe('/metrics with OPENEYE_METRICS_TOKEN', () => {
  let t: TestServer;
  const token = 'scrape-secret-0123456789';

  beforeAll(async () => {
    t = await startTestServer({ env: { OPENEYE_METRICS_TOKEN: token } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 without the bearer token or with another one, 200 with it', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${token}` },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${t.url}/metrics`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.text()).not.toContain('process_');
    }
    // A user's token is not the scrape token.
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } })).status).toBe(
      401,
    );
    const { names } = await scrape(t, token);
    expect(names).toContain('openeye_build_info');
    // The other operations routes stay open (probes carry no token).
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});

/** Every metric name a PromQL expression uses (Prometheus' own `up` and functions aside). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:openeye|process|nodejs)_[a-zA-Z0-9_]+)\b/g)].map((m) => m[1]!);
}

describe('docs/grafana and docs/prometheus', () => {
  let t: TestServer;
  let names: Set<string>;

  beforeAll(async () => {
    t = await startTestServer();
    names = (await scrape(t)).names;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the Grafana dashboard is valid JSON whose panels query only metrics the server exposes', () => {
    const dashboard = JSON.parse(readFileSync(new URL('docs/grafana/openeye-dashboard.json', root), 'utf8')) as {
      title: string;
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    expect(dashboard.title).toBeTruthy();
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => ({ panel: p.title, ...target })));
    expect(exprs.length).toBeGreaterThanOrEqual(7);
    const used = new Set(exprs.flatMap((e) => metricNames(e.expr)));
    for (const wanted of [
      'openeye_ws_connections',
      'openeye_ws_messages_sent_total',
      'openeye_events_stored_total',
      'openeye_alerts_open',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(used, wanted).toContain(wanted);
    }
    for (const { panel, expr } of exprs) {
      for (const name of metricNames(expr)) expect(names, `${panel}: ${expr}`).toContain(name);
    }
  });

  it('the alert rules are valid YAML whose expressions use only metrics the server exposes', () => {
    const rules = parseYaml(readFileSync(new URL('docs/prometheus/openeye-alerts.yml', root), 'utf8')) as {
      groups: { name: string; rules: { alert: string; expr: string; labels?: { severity?: string } }[] }[];
    };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['OpenEyeDown', 'OpenEyeEventLoopLag', 'OpenEyeCriticalAlertsOpen']),
    );
    for (const rule of all) {
      expect(rule.expr, rule.alert).toBeTruthy();
      expect(rule.labels?.severity, rule.alert).toBeTruthy();
      for (const name of metricNames(rule.expr)) expect(names, `${rule.alert}: ${rule.expr}`).toContain(name);
    }
  });
});
