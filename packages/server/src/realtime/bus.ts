/**
 * The bus carries what one node accepted to every node's hub: stored events (in id order),
 * "statistics changed" hints and user revocations. `local` is the in-process engine (the
 * default, not a mock); the Redis engine implements the same interface for several nodes.
 */
import type { EventMessage } from '@openeye/protocol';

export type BusMessage =
  | { kind: 'events'; events: EventMessage[] }
  | { kind: 'changed' }
  | { kind: 'user_revoked'; userId: number }
  /** Who watches which camera changed somewhere in the cluster. */
  | { kind: 'presence' };

export type BusHandler = (message: BusMessage) => void;

export interface Bus {
  publish(message: BusMessage): Promise<void> | void;
  subscribe(handler: BusHandler): void;
  close(): Promise<void>;
}

export class LocalBus implements Bus {
  private readonly handlers: BusHandler[] = [];

  publish(message: BusMessage): void {
    for (const h of this.handlers) h(message);
  }

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {
    this.handlers.length = 0;
  }
}
