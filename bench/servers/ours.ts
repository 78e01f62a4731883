/**
 * Our server, as `openeye serve` builds it (createServer + listen), in a child process the bench
 * controls over IPC (gc, exit, and the V8 CPU profiler around one scenario).
 * Run with: node --conditions=source --import tsx --expose-gc bench/servers/ours.ts
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import { control } from './common.ts';

// BENCH_OURS_SRC (run.ts --ours-src DIR) points at another copy of packages/server/src, for A/B runs.
const src = new URL(
  `${process.env.BENCH_OURS_SRC || '../../packages/server/src'}/`,
  `file://${process.cwd()}/bench/servers/`,
);
// As cli.ts does before anything else (listen() settles it): start-up-memory.ts, absent from an older
// copy of src.
if (fs.existsSync(new URL('start-up-memory.ts', src))) {
  const { prepareStart } = (await import(
    new URL('start-up-memory.js', src).href
  )) as typeof import('../../packages/server/src/start-up-memory.js');
  prepareStart();
}
const { createServer } = (await import(
  new URL('app.js', src).href
)) as typeof import('../../packages/server/src/app.js');
const { loadConfig } = (await import(
  new URL('config.js', src).href
)) as typeof import('../../packages/server/src/config.js');
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
