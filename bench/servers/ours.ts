/**
 * Our server, as `openeye serve` builds it (createServer + listen), in a child process the bench
 * controls over IPC (gc, exit, and the V8 CPU profiler around one scenario).
 * Run with: node --conditions=source --import tsx --expose-gc bench/servers/ours.ts
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import { createServer } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { control } from './common.ts';

const server = await createServer(loadConfig(process.env));
const url = await server.listen();
control();
let session: Session | null = null;
process.on('message', (m: { cmd?: string; file?: string }) => {
  if (m?.cmd === 'profile-start') {
    session = new Session();
    session.connect();
    session.post('Profiler.enable', () =>
      session!.post('Profiler.setSamplingInterval', { interval: 200 }, () =>
        session!.post('Profiler.start', () => process.send?.({ profiling: true })),
      ),
    );
  } else if (m?.cmd === 'profile-stop' && session) {
    session.post('Profiler.stop', (err, result) => {
      if (!err) fs.writeFileSync(m.file!, JSON.stringify(result.profile));
      session!.disconnect();
      session = null;
      process.send?.({ profiled: !err });
    });
  }
});
process.send?.({ ready: true, port: Number(new URL(url).port) });
