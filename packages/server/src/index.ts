export { type CreateServerOptions, createServer, type OpenEyeServer } from './app.js';
export { JwtService } from './auth/jwt.js';
export type { BusMessage, ClusterEngine, EventPublisher, NodeSnapshot } from './cluster/engine.js';
export { LocalEngine } from './cluster/local.js';
export { type Config, ConfigError, loadConfig } from './config.js';
export type { ConnectionManager } from './manager.js';
export { Hub } from './realtime/hub.js';
