// Core decode pass for `npm run bench:decode`: dissect every packet of FILE and do nothing with the result, so the
// time is the decoder's alone (no field formatting, no output). Prints one JSON line:
//   {"packets": N, "seconds": S, "maxRssKb": K}
// Exit code 3 means the decoder module is not available in this build.

interface CoreApi {
  decodeCaptureFile(path: string, onPacket: (d: unknown) => void): Promise<{ packets: number }>;
}

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/decode-core.js FILE\n');
    return 2;
  }
  let api: CoreApi;
  try {
    // A computed specifier: this file must compile (and report) even while the decoder is not written yet.
    const spec = '../src/dissect/run.js';
    api = (await import(spec)) as CoreApi;
    if (typeof api.decodeCaptureFile !== 'function') throw new Error('decodeCaptureFile is not exported');
  } catch (e) {
    process.stderr.write(`core benchmark unavailable: cannot load src/dissect/run.js (${(e as Error).message})\n`);
    return 3;
  }
  let seen = 0;
  const start = process.hrtime.bigint();
  const r = await api.decodeCaptureFile(file, () => { seen++; });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(`${JSON.stringify({ packets: r.packets ?? seen, seconds, maxRssKb: process.resourceUsage().maxRSS })}\n`);
  return 0;
}

process.exitCode = await main();
