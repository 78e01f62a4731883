export { type ConnectionManager, type CreateServerOptions, createServer, type OpenEyeServer } from './app.js';
export { JwtService } from './auth/jwt.js';
export { type Config, ConfigError, loadConfig } from './config.js';
export { type Bus, type BusMessage, LocalBus } from './realtime/bus.js';
export { Hub } from './realtime/hub.js';
