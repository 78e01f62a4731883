/**
 * Webhooks: endpoints an admin registers, each with its own signing secret (shown once, stored to
 * sign, never logged or listed). A delivery POSTs the message's JSON body with
 *
 *   X-OpenEye-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * (docs/alerts.md shows how a receiver verifies it). Deliveries go through the durable outbox.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { CreatedWebhook, CreateWebhookRequest, Delivery, UpdateWebhookRequest, Webhook } from '@openeye/protocol';
import { notFound } from '../domain/errors.js';
import type { Store } from '../store/index.js';
import type { OutboxMessage, WebhookRecord } from '../store/notify.js';
import { checkEndpointUrl } from './address.js';
import { type PostOutcome, postBounded } from './request.js';

export const SIGNATURE_HEADER = 'x-openeye-signature';

/** The signature header's value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

const publicWebhook = ({ secret: _secret, ...w }: WebhookRecord): Webhook => w;

export interface WebhookSettings {
  allowPrivate: boolean;
  timeoutMs: number;
  ca?: string | undefined;
}

export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly settings: WebhookSettings,
    /** Called when a message is queued, so the outbox worker looks at once. */
    private readonly queued: () => void = () => undefined,
  ) {}

  async list(): Promise<Webhook[]> {
    return (await this.store.notify.webhooks()).map(publicWebhook);
  }

  async create(input: CreateWebhookRequest): Promise<CreatedWebhook> {
    checkEndpointUrl(input.url, this.settings.allowPrivate);
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const w = await this.store.notify.createWebhook(
      { name: input.name, url: input.url, secret, enabled: input.enabled ?? true },
      new Date().toISOString(),
    );
    return { ...publicWebhook(w), secret };
  }

  async update(id: number, patch: UpdateWebhookRequest): Promise<Webhook> {
    if (patch.url !== undefined) checkEndpointUrl(patch.url, this.settings.allowPrivate);
    const w = await this.store.notify.updateWebhook(id, patch);
    if (!w) throw notFound('Webhook');
    return publicWebhook(w);
  }

  async remove(id: number): Promise<void> {
    if (!(await this.store.notify.deleteWebhook(id))) throw notFound('Webhook');
  }

  /** The delivery log of one webhook, newest first. */
  async deliveries(id: number, limit: number): Promise<Delivery[]> {
    if (!(await this.store.notify.webhook(id))) throw notFound('Webhook');
    return this.store.notify.deliveries('webhook', id, limit);
  }

  /** "Send again": the same body as a new message of the outbox. */
  async resend(id: number, deliveryId: number): Promise<Delivery> {
    const old = await this.store.notify.delivery(deliveryId);
    if (old?.channel !== 'webhook' || old.target_id !== id) throw notFound('Delivery');
    const newId = await this.store.notify.enqueue(
      { channel: 'webhook', target_id: id, alert_id: old.alert_id, payload: old.payload },
      new Date().toISOString(),
    );
    this.queued();
    const { payload: _payload, ...created } = (await this.store.notify.delivery(newId))!;
    return created;
  }

  /** One attempt at one outbox message. */
  async deliver(message: OutboxMessage): Promise<PostOutcome & { final?: boolean }> {
    const webhook = await this.store.notify.webhook(message.target_id);
    if (!webhook) return { ok: false, status: null, error: 'webhook deleted', body: '', final: true };
    if (!webhook.enabled) return { ok: false, status: null, error: 'webhook disabled', body: '', final: true };
    let url: URL;
    try {
      url = checkEndpointUrl(webhook.url, this.settings.allowPrivate);
    } catch (err) {
      return { ok: false, status: null, error: (err as Error).message, body: '', final: true };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    return postBounded(url, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'OpenEye-Webhook/1',
        'x-openeye-delivery': String(message.id),
        'x-openeye-event': 'alert.escalated',
        [SIGNATURE_HEADER]: signWebhook(webhook.secret, timestamp, message.payload),
      },
      body: message.payload,
      timeoutMs: this.settings.timeoutMs,
      allowPrivate: this.settings.allowPrivate,
      ca: this.settings.ca,
    });
  }
}
