/**
 * The `ws` events of an open connection, routed to the hub. Each socket points at its connection,
 * so one set of listener functions serves every socket: no closures per socket (a closure would
 * also keep whatever it captured alive as long as the socket).
 */
import type { WebSocket } from 'ws';
import type { Connection } from './connection.js';

export interface SocketEvents {
  pong(conn: Connection, data: Buffer): void;
  ping(conn: Connection): void;
  message(conn: Connection, data: Buffer, isBinary: boolean): void;
  close(conn: Connection, code: number): void;
}

const CONN = Symbol('openeye.connection');
type Tagged = WebSocket & { [CONN]: Connection };

export class SocketListeners {
  private readonly pong: (this: Tagged, data: Buffer) => void;
  private readonly ping: (this: Tagged) => void;
  private readonly message: (this: Tagged, data: Buffer, isBinary: boolean) => void;
  private readonly close: (this: Tagged, code: number) => void;

  constructor(events: SocketEvents) {
    // The listeners read the connection from the socket they are called on (`this`).
    this.pong = function (data) {
      events.pong(this[CONN], data);
    };
    this.ping = function () {
      events.ping(this[CONN]);
    };
    this.message = function (data, isBinary) {
      events.message(this[CONN], data, isBinary);
    };
    this.close = function (code) {
      events.close(this[CONN], code);
    };
  }

  attach(ws: WebSocket, conn: Connection): void {
    (ws as Tagged)[CONN] = conn;
    const on = ws as unknown as { on(event: string, f: unknown): void; once(event: string, f: unknown): void };
    on.on('pong', this.pong);
    on.on('ping', this.ping);
    on.on('message', this.message);
    on.once('close', this.close);
  }
}
