/**
 * The child of split-kill.test.ts: runs a split of `source` on the data directory `argv[2]` and
 * kills itself with SIGKILL (kill -9, no cleanup of any kind) when the split reports its
 * `argv[4]`th step (a batch copied, verified or removed); 0 never, the split then runs to its end.
 */
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/memspace.js';

const [dataDir, source, killAt] = process.argv.slice(2) as [string, string, string];
const ms = await openEngine(loadConfig({ dataDir }, {}));
process.stdout.write('READY\n');
let steps = 0;
const report = await ms.splits.split(source, { byTag: 'ds:*', stripPrefix: true }, {}, (p) => {
  steps += 1;
  process.stdout.write(`step ${steps} ${p.phase} ${p.done}/${p.total}\n`);
  if (steps === Number(killAt)) process.kill(process.pid, 'SIGKILL');
});
process.stdout.write(`${JSON.stringify(report)}\n`);
await ms.close();
