/**
 * Setup file of the `unit` project (vitest.config.ts): a unit test opens no connection, listens
 * on no port and starts no process. Anything that tries (fetch, ws, pg, ioredis, http, a spawned
 * server) fails at once with a message saying where the test belongs instead, so the unit layer
 * keeps running with every service stopped.
 */
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

function refuse(what: string): never {
  throw new Error(
    `A unit test may not ${what}. Unit tests (packages/*/src/**/*.test.ts) use fakes; a test that needs a ` +
      'real server, a service, a browser or a process belongs in packages/*/test/ (the integration project). ' +
      'See docs/testing.md.',
  );
}

net.Socket.prototype.connect = function connect(): never {
  refuse('open a network connection');
};
net.Server.prototype.listen = function listen(): never {
  refuse('listen on a port');
};
dgram.Socket.prototype.send = function send(): never {
  refuse('send a datagram');
};
dgram.Socket.prototype.bind = function bind(): never {
  refuse('bind a datagram socket');
};
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  Object.defineProperty(childProcess, name, {
    value: () => refuse(`start a process (child_process.${name})`),
    configurable: true,
    writable: true,
  });
}
// Named ESM imports of the built-ins (`import { spawn } from 'node:child_process'`) see the change too.
syncBuiltinESMExports();
