/**
 * @module singleton
 * The guide's `wsService`: one shared client with default options (the page's origin,
 * the global WebSocket). Built lazily enough to import anywhere: the constructor touches no global.
 */
import { OpenEyeClient } from './client.js';

const wsService = new OpenEyeClient();

export default wsService;
