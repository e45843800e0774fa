/** The `pktlens` command. */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const HELP = `pktlens ${pkg.version} — decode, store and analyze network captures

usage: pktlens <command> [options]

commands:
  decode [-r] FILE [-c N] [-T text|fields|json|ndjson] [-e FIELD]... [-E header=y]
                     decode a pcap/pcapng (gzip ok, - = stdin) like tshark
  ingest FILE... [--name NAME] [--data DIR] [--force] [--retention 30d]
                     store captures in PostgreSQL (DATABASE_URL) or the embedded database
  open FILE... [--data DIR] [--port N]
                     store captures (embedded database) and serve the dashboard on http://127.0.0.1:5000
  serve [--target all|parser,persistor,analyzer,ui,db] [--host ADDR]
                     run the services (all in one process by default)
  capture (-r FILE [--realtime|--speed X] | -i IFACE [-f BPF] | --list-interfaces)
                     send a file or live traffic to the Parser (PKTLENS_PARSER_URL)
  generate [-w OUT] [-c N] [--seed N] [--pcapng] [--hostile]
                     write a realistic synthetic capture (the sample, benchmarks, tests)
  help [COMMAND]     this text, or a command's options

options: --help, --version
exit status: 0 ok, 1 runtime failure, 2 usage error (or a damaged capture, as tshark)`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      if (cmd === 'help' && rest[0] === 'decode') return print((await import('./decode.js')).DECODE_HELP);
      if (cmd === 'help' && rest[0] === 'serve') return print((await import('./serve.js')).SERVE_HELP);
      if (cmd === 'help' && rest[0] === 'capture') return print((await import('./capture.js')).CAPTURE_HELP);
      if (cmd === 'help' && rest[0] === 'open') return print((await import('./open.js')).OPEN_HELP);
      return print(HELP);
    case '-v':
    case '--version':
      return print(`pktlens ${pkg.version}`);
    case 'decode': {
      const m = await import('./decode.js');
      if (rest.includes('--help') || rest.includes('-h')) return print(m.DECODE_HELP);
      return m.decodeMain(rest);
    }
    case 'ingest': {
      const m = await import('./ingest.js');
      if (rest.includes('--help') || rest.includes('-h')) return print(m.INGEST_HELP);
      return m.ingestMain(rest);
    }
    case 'serve': {
      const m = await import('./serve.js');
      if (rest.includes('--help') || rest.includes('-h')) return print(m.SERVE_HELP);
      return m.serveMain(rest);
    }
    case 'capture': {
      const m = await import('./capture.js');
      if (rest.includes('--help') || rest.includes('-h')) return print(m.CAPTURE_HELP);
      return m.captureMain(rest);
    }
    case 'open': {
      const m = await import('./open.js');
      if (rest.includes('--help') || rest.includes('-h')) return print(m.OPEN_HELP);
      return m.openMain(rest);
    }
    case 'generate': {
      const m = await import('../gen/cli.js');
      return m.generateMain(rest);
    }
    default:
      throw new UsageError(`unknown command "${cmd}" (try pktlens --help)`);
  }
}

function print(s: string): number {
  process.stdout.write(s + '\n');
  return 0;
}

const LONG_RUNNING = new Set(['serve', 'capture', 'open']);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // services leave keep-alive sockets and timers behind: end once stdout is flushed
    if (LONG_RUNNING.has(process.argv[2])) process.stdout.write('', () => process.exit(code));
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`pktlens: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      // one line; the stack with PKTLENS_DEBUG=1
      process.stderr.write(`pktlens: ${process.env.PKTLENS_DEBUG ? (e as Error)?.stack : ((e as Error)?.message ?? String(e))}\n`);
      process.exitCode = 1;
      if (LONG_RUNNING.has(process.argv[2])) process.stdout.write('', () => process.exit(1));
    }
  },
);
// a closed pipe (pktlens decode … | head) is a normal way to stop
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});
