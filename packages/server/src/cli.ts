#!/usr/bin/env node
/**
 * `openeye`: the entry point. It keeps the young generation small before anything else is loaded
 * (start-up-memory.ts: this must run before the modules are parsed, hence the dynamic import),
 * then runs the commands (commands.ts).
 */
import { prepareStart } from './start-up-memory.js';

prepareStart();
await import('./commands.js');
