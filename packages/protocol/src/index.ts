export * from './constants.js';
export * from './errors.js';
export * from './events.js';
export * from './media.js';
export * from './messages.js';
export * from './parse.js';
export * from './schemas.js';
