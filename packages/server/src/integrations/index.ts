/**
 * The integrations of one node: the Frigate bridge (OPENEYE_FRIGATE_MQTT_URL), generic MQTT ingest
 * and publishing with Home Assistant discovery (OPENEYE_MQTT_URL). In a cluster exactly one node
 * runs them: the holder of the lease `integrations:<client id>` (ClusterEngine.lease). Its MQTT
 * sessions are persistent and their client ids are the same on every node, so when the holder dies
 * the next holder (within the lease) takes the sessions over, with every QoS 1 message the broker
 * kept meanwhile; receipts (ingest) and the publish cursor (out) make the handover lose nothing and
 * store nothing twice.
 */
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { ClusterEngine } from '../cluster/engine.js';
import type { Config } from '../config.js';
import type { DomainService } from '../domain/service.js';
import type { StatisticsService } from '../domain/statistics.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { type AlertLifecycleHook, alertLifecycleHook } from './alert-lifecycle.js';
import { frigateTopics } from './frigate.js';
import { FrigateBridge } from './frigate-bridge.js';
import { integrationMetrics } from './metrics.js';
import {
  type BrokerEndpoint,
  type ConnectionHealth,
  type ConnectionTiming,
  MqttConnection,
} from './mqtt-connection.js';
import { MqttIngest } from './mqtt-ingest.js';
import { MqttPublisher } from './mqtt-publish.js';
import { IngestReporter } from './reporter.js';
import { openeyeTopics } from './topics.js';

/** Receipts older than this are pruned. */
const RECEIPT_DAYS = 7;

export interface IntegrationsDeps {
  config: Config;
  store: Store;
  domain: DomainService;
  statistics: StatisticsService;
  engine: ClusterEngine;
  log: Logger;
  registry: Registry;
  lifecycle?: AlertLifecycleHook;
  timing?: ConnectionTiming;
}

export type IntegrationHealth = ConnectionHealth | 'standby';

/** The client id of the persistent sessions: the setting, else derived from the topic prefix. */
export function mqttClientId(config: Config): string {
  return config.mqttClientId ?? `openeye-${config.mqttTopicPrefix.replace(/[^A-Za-z0-9_.-]/g, '_')}`.slice(0, 64);
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

export class Integrations {
  readonly enabled: boolean;
  private readonly clientId: string;
  private readonly leaseName: string;
  private readonly leaseMs: number;
  private readonly reporter: IngestReporter;
  private readonly lifecycle: AlertLifecycleHook;
  private readonly publisher: MqttPublisher | null = null;
  private readonly ingest: MqttIngest | null = null;
  private readonly bridge: FrigateBridge | null = null;
  private frigateConn: MqttConnection | null = null;
  private openeyeConn: MqttConnection | null = null;
  private holding = false;
  private lastRenewal = 0;
  private timer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly d: IntegrationsDeps) {
    const c = d.config;
    this.enabled = c.frigateMqttUrl !== null || c.mqttUrl !== null;
    this.clientId = mqttClientId(c);
    this.leaseName = `integrations:${this.clientId}`;
    this.leaseMs = c.nodeLeaseMs;
    const metrics = integrationMetrics(d.registry);
    this.reporter = new IngestReporter(d.log, metrics);
    this.lifecycle = d.lifecycle ?? alertLifecycleHook(d.store, () => d.statistics.dayStart());
    if (c.frigateMqttUrl) {
      this.bridge = new FrigateBridge(
        {
          prefix: c.frigateTopicPrefix,
          frigateUrl: c.frigateUrl?.replace(/\/+$/, '') ?? null,
          createPeople: c.frigateCreatePeople,
          maxImageBytes: c.maxFrameBytes,
        },
        d.domain,
        d.store,
        this.reporter,
        this.lifecycle,
      );
    }
    if (c.mqttUrl) {
      this.ingest = new MqttIngest(c.mqttTopicPrefix, d.domain, this.reporter);
      this.publisher = new MqttPublisher(
        { prefix: c.mqttTopicPrefix, haPrefix: c.haDiscovery ? c.haPrefix : null, version: version() },
        d.store,
        d.domain,
        d.statistics,
        this.lifecycle,
        metrics,
        d.log,
      );
      d.engine.subscribe((m) => this.publisher?.onBus(m));
    }
  }

  /** Starts competing for the lease (at once, then every lease/3); never throws. */
  async start(): Promise<void> {
    if (!this.enabled) return;
    this.stopped = false;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(200, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  private tick(): Promise<void> {
    this.ticking ??= this.renew().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    let held: boolean;
    try {
      held = await this.d.engine.lease(this.leaseName, this.leaseMs);
      if (held) this.lastRenewal = Date.now();
    } catch {
      // The engine is away: keep going while the lease we had is surely still ours.
      held = this.holding && Date.now() - this.lastRenewal < (this.leaseMs * 2) / 3;
    }
    if (this.stopped) return;
    if (held && !this.holding) {
      try {
        await this.activate();
      } catch (err) {
        // (The store was away, say.) Stand down; the next tick tries again.
        this.d.log.error({ event: 'integrations.start_failed', err }, 'starting the MQTT integrations failed');
        await this.deactivate(false).catch(() => {});
      }
    } else if (!held && this.holding) await this.deactivate(false);
  }

  private endpoint(url: string): BrokerEndpoint {
    const c = this.d.config;
    return { url, username: c.mqttUsername, password: c.mqttPassword, caFile: c.mqttCaFile };
  }

  private async activate(): Promise<void> {
    const c = this.d.config;
    const { log, engine } = this.d;
    const metrics = integrationMetrics(this.d.registry);
    this.holding = true;
    log.info({ event: 'integrations.active', node: engine.nodeId }, 'this node runs the MQTT integrations');
    // Receipts only guard against redeliveries, which come within hours: a week is plenty.
    const prune = () =>
      void this.d.store.receipts.prune(new Date(Date.now() - RECEIPT_DAYS * 86_400_000).toISOString()).catch(() => {});
    prune();
    this.pruneTimer = setInterval(prune, 3_600_000);
    this.pruneTimer.unref();
    if (this.bridge && c.frigateMqttUrl) {
      const bridge = this.bridge;
      this.frigateConn = new MqttConnection({
        name: 'frigate',
        endpoint: this.endpoint(c.frigateMqttUrl),
        clientId: `${this.clientId}-frigate`.slice(0, 64),
        persistent: true,
        subscriptions: frigateTopics(c.frigateTopicPrefix),
        onMessage: (m) => bridge.handle(m),
        log,
        metrics,
        ...(this.d.timing ? { timing: this.d.timing } : {}),
      });
      this.frigateConn.start();
    }
    if (this.publisher && this.ingest && c.mqttUrl) {
      const { publisher, ingest } = this;
      const t = openeyeTopics(c.mqttTopicPrefix);
      const haStatus = c.haDiscovery ? `${c.haPrefix}/status` : null;
      this.openeyeConn = new MqttConnection({
        name: 'openeye',
        endpoint: this.endpoint(c.mqttUrl),
        clientId: this.clientId,
        persistent: true,
        will: { topic: t.status, payload: 'offline', retain: true, qos: 1 },
        subscriptions: [...ingest.topics(), ...(haStatus ? [haStatus] : [])],
        onMessage: async (m) => {
          if (m.topic === haStatus) publisher.onHomeAssistantStatus(m.payload.toString('utf8').slice(0, 16));
          else if (ingest.handles(m.topic)) await ingest.handle(m);
        },
        onConnect: () => void publisher.onConnect(),
        log,
        metrics,
        ...(this.d.timing ? { timing: this.d.timing } : {}),
      });
      await publisher.activate(this.openeyeConn);
      this.openeyeConn.start();
      if (engine.lossy) {
        this.pollTimer = setInterval(() => publisher.poll(), 2000);
        this.pollTimer.unref();
      }
    }
  }

  private async deactivate(shutdown: boolean): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    for (const t of [this.pollTimer, this.pruneTimer]) if (t) clearInterval(t);
    this.pollTimer = this.pruneTimer = null;
    this.publisher?.deactivate();
    const status = openeyeTopics(this.d.config.mqttTopicPrefix).status;
    await Promise.all([
      this.frigateConn?.stop(),
      // On a shutdown subscribers learn at once; on a lost lease the next holder says online.
      this.openeyeConn?.stop(shutdown ? { topic: status, payload: 'offline' } : undefined),
    ]);
    this.frigateConn = this.openeyeConn = null;
    this.bridge?.close();
    if (!shutdown) {
      this.d.log.warn({ event: 'integrations.standby' }, 'lost the integrations lease: MQTT integrations stopped here');
    }
  }

  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    const held = this.holding;
    await this.deactivate(true);
    if (held) await this.d.engine.releaseLease(this.leaseName).catch(() => {});
  }

  /** For /readyz: each configured connection's state, `standby` on a node without the lease. */
  health(): { fields: Record<string, IntegrationHealth>; degraded: boolean } | null {
    if (!this.enabled) return null;
    const c = this.d.config;
    const fields: Record<string, IntegrationHealth> = {};
    if (c.mqttUrl) fields.mqtt = this.holding ? (this.openeyeConn?.health() ?? 'connecting') : 'standby';
    if (c.frigateMqttUrl) fields.frigate = this.holding ? (this.frigateConn?.health() ?? 'connecting') : 'standby';
    return { fields, degraded: Object.values(fields).includes('down') };
  }

  /** Whether this node runs the integrations now. */
  get active(): boolean {
    return this.holding;
  }

  /** Resolves when the publisher has nothing in flight (tests). */
  async idle(): Promise<void> {
    await this.publisher?.idle();
  }
}
