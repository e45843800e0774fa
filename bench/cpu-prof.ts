// Preloaded with `--import` (NODE_OPTIONS refuses --cpu-prof): a V8 CPU profile of the whole process, written at
// exit to $PKTLENS_CPU_PROF_DIR/<argv>-<pid>.cpuprofile (open in Chrome DevTools or speedscope).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.PKTLENS_CPU_PROF_DIR;
if (dir) {
  const s = new Session();
  s.connect();
  s.post('Profiler.enable');
  s.post('Profiler.setSamplingInterval', { interval: 1000 });
  s.post('Profiler.start');
  const name = process.argv.slice(2).filter((a) => !a.includes('/')).join('-').replace(/[^\w-]+/g, '_').slice(0, 60) || 'node';
  process.on('exit', () => {
    // the in-thread session answers synchronously
    s.post('Profiler.stop', (err, r) => {
      if (!err) writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}
