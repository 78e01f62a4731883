/**
 * Any MQTT producer: `<p>/in/recognitions`, `<p>/in/alerts`, `<p>/in/cameras/<id>/events` carry
 * exactly the REST producer bodies (docs/protocol.md), validated by the same schemas with the same
 * validator (http/body.ts) and written by the same domain calls: stored, then broadcast.
 *
 * An MQTT 5 user property `idempotency_key` (1-128 characters) makes a message stored at most once
 * per key and topic kind, so a producer that publishes again after a lost PUBACK stores nothing twice.
 */
import {
  CreateAlertRequest,
  CreateCameraEventRequest,
  CreateRecognitionRequest,
  jsonDepthExceeds,
  MAX_BODY_DEPTH,
} from '@openeye/protocol';
import { DomainError } from '../domain/errors.js';
import type { DomainService, WriteOptions } from '../domain/service.js';
import { compileBody } from '../http/body.js';
import type { IncomingMessage } from './mqtt-connection.js';
import type { IngestReporter } from './reporter.js';
import { writeWithRetry } from './retry.js';
import { openeyeTopics } from './topics.js';

/** The REST body limit. */
const MAX_BYTES = 256 * 1024;
const MAX_ID = 2_147_483_647;

type Validator = ReturnType<typeof compileBody>;

function describe(v: Validator): string {
  const e = v.errors?.[0];
  return e ? `body${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}`.slice(0, 200) : 'invalid body';
}

export class MqttIngest {
  private readonly t: ReturnType<typeof openeyeTopics>;
  private readonly cameraTopic: RegExp;
  private readonly validate = {
    recognition: compileBody(CreateRecognitionRequest),
    alert: compileBody(CreateAlertRequest),
    cameraEvent: compileBody(CreateCameraEventRequest),
  };

  constructor(
    prefix: string,
    private readonly domain: DomainService,
    private readonly reporter: IngestReporter,
  ) {
    this.t = openeyeTopics(prefix);
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.cameraTopic = new RegExp(`^${escaped}/in/cameras/([^/]+)/events$`);
  }

  topics(): string[] {
    return [this.t.inRecognitions, this.t.inAlerts, this.t.inCameraEvents];
  }

  handles(topic: string): boolean {
    return topic === this.t.inRecognitions || topic === this.t.inAlerts || this.cameraTopic.test(topic);
  }

  async handle(msg: IncomingMessage): Promise<void> {
    const r = this.reporter;
    r.received('mqtt');
    // A retained input would be stored again on every (re)subscription: refused.
    if (msg.retain) return r.rejected('mqtt', 'retained', 'retained message on an input topic', msg.topic);
    if (msg.payload.length > MAX_BYTES) {
      return r.rejected('mqtt', 'too_large', `${msg.payload.length} bytes`, msg.topic);
    }
    const text = msg.payload.toString('utf8');
    if (jsonDepthExceeds(text, MAX_BODY_DEPTH)) return r.rejected('mqtt', 'invalid_json', 'nested too deep', msg.topic);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return r.rejected('mqtt', 'invalid_json', 'not JSON', msg.topic);
    }
    const key = msg.userProperties.idempotency_key;
    const idem = typeof key === 'string' && key.length >= 1 && key.length <= 128 ? key : undefined;

    let kind: 'recognition' | 'alert' | 'camera_event';
    let write: (options: WriteOptions) => Promise<unknown>;
    if (msg.topic === this.t.inRecognitions) {
      const v = this.validate.recognition;
      if (!v(body)) return r.rejected('mqtt', 'invalid_payload', describe(v), msg.topic);
      kind = 'recognition';
      const input = body as CreateRecognitionRequest;
      write = (options) => this.domain.createRecognition(input, options);
    } else if (msg.topic === this.t.inAlerts) {
      const v = this.validate.alert;
      if (!v(body)) return r.rejected('mqtt', 'invalid_payload', describe(v), msg.topic);
      kind = 'alert';
      const input = body as CreateAlertRequest;
      write = (options) => this.domain.createAlert(input, options);
    } else {
      const raw = this.cameraTopic.exec(msg.topic)?.[1] ?? '';
      const id = /^[1-9][0-9]{0,9}$/.test(raw) ? Number(raw) : Number.NaN;
      if (!(id >= 1 && id <= MAX_ID)) {
        return r.rejected('mqtt', 'invalid_payload', 'topic: the camera id must be an integer id', msg.topic);
      }
      const v = this.validate.cameraEvent;
      if (!v(body)) return r.rejected('mqtt', 'invalid_payload', describe(v), msg.topic);
      kind = 'camera_event';
      const input = body as CreateCameraEventRequest;
      write = (options) => this.domain.postCameraEvent(id, input.event_type, input.data, options);
    }
    const options: WriteOptions = idem ? { once: { source: 'mqtt', item: idem, kind } } : {};
    const outcome = await writeWithRetry(() => write(options));
    if (outcome.ok) return r.mapped('mqtt', kind);
    const err = outcome.error;
    if (err instanceof DomainError) {
      if (err.code === 'duplicate') return r.skipped('mqtt', 'duplicate');
      return r.rejected('mqtt', err.status === 404 ? 'not_found' : 'invalid_payload', err.message, msg.topic);
    }
    r.rejected('mqtt', 'error', (err as Error)?.message ?? String(err), msg.topic);
  }
}
