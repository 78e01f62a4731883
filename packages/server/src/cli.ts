#!/usr/bin/env node
/**
 * `openeye`: the entry point. It keeps the young generation small before anything else is loaded
 * (young-generation.ts: this must run before the modules are parsed, hence the dynamic import),
 * then runs the commands (commands.ts).
 */
import { capYoungGeneration } from './young-generation.js';

capYoungGeneration();
await import('./commands.js');
