export * from './constants.js';
export * from './parse.js';
export * from './schemas.js';
