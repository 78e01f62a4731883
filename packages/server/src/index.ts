export { createServer, type ConnectionManager, type CreateServerOptions, type OpenEyeServer } from './app.js';
export { type Config, ConfigError, loadConfig } from './config.js';
export { Hub } from './realtime/hub.js';
export { type Bus, type BusMessage, LocalBus } from './realtime/bus.js';
export { JwtService } from './auth/jwt.js';
