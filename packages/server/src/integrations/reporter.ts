/**
 * How ingest reports what it did with each message: a counter always, a log line once per
 * (source, reason) — the first occurrence, with a short detail that never holds a payload — so a
 * flood of bad messages is one line and a number, not a flood of lines.
 */
import type { Logger } from '../logger.js';
import type { IntegrationMetrics } from './metrics.js';

export type Source = 'frigate' | 'mqtt';

export class IngestReporter {
  private readonly logged = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly metrics: IntegrationMetrics,
  ) {}

  received(source: Source): void {
    this.metrics.received.inc({ source });
  }

  mapped(source: Source, kind: string): void {
    this.metrics.mapped.inc({ source, kind });
  }

  /** A message refused: counted; logged the first time this reason is seen. */
  rejected(source: Source, reason: string, detail: string, topic: string): void {
    this.metrics.rejected.inc({ source, reason });
    this.once(`rejected ${source} ${reason}`, () =>
      this.log.warn(
        { event: 'mqtt.rejected', source, reason, detail: detail.slice(0, 200), topic: topic.slice(0, 200) },
        `MQTT ${source}: message refused (${reason}); further ones are only counted (openeye_mqtt_messages_rejected_total)`,
      ),
    );
  }

  /** A message (or part) not stored on purpose: counted; logged at debug the first time. */
  skipped(source: Source, reason: string): void {
    this.metrics.skipped.inc({ source, reason });
    this.once(`skipped ${source} ${reason}`, () =>
      this.log.debug({ event: 'mqtt.skipped', source, reason }, `MQTT ${source}: skipped (${reason})`),
    );
  }

  private once(key: string, fn: () => void): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    fn();
  }
}
