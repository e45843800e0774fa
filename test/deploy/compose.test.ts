/**
 * docker-compose.yml and the Dockerfile checked against the code they deploy (there is no Docker engine here):
 * service names, ports and environment names from src/services/config.ts, the dependency chain, health checks,
 * live-capture privileges, and that the Dockerfile copies only what exists or what its build stage makes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_PORTS, ENV, type ListeningService } from '../../src/services/config.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const DOCKERFILE = join(ROOT, 'Dockerfile');
const DOCKERIGNORE = join(ROOT, '.dockerignore');

/** the services that listen, as compose names them (the embedded `db` is not used with a PostgreSQL container) */
const APP_SERVICES = ['persistor', 'parser', 'analyzer', 'ui'] as const satisfies readonly ListeningService[];
/** what runs until stopped: these need a health check and a restart policy */
const LONG_RUNNING = ['postgres', ...APP_SERVICES, 'capture-live'];
const ENV_NAMES = new Set<string>(Object.values(ENV));
/** which environment variable points at which service */
const URL_ENV: Record<string, ListeningService> = { [ENV.parserUrl]: 'parser', [ENV.persistorUrl]: 'persistor', [ENV.analyzerUrl]: 'analyzer' };

// ---------------------------------------------------------------------------------------------------------------
// compose helpers (both the short and the long syntax compose accepts)

type Obj = Record<string, unknown>;

interface Compose {
  services: Record<string, Obj>;
  volumes?: Record<string, unknown>;
}

function loadCompose(): Compose {
  assert.ok(existsSync(COMPOSE_FILE), 'docker-compose.yml is missing at the project root');
  const doc = parse(readFileSync(COMPOSE_FILE, 'utf8')) as Compose;
  assert.ok(doc && typeof doc === 'object' && doc.services && typeof doc.services === 'object', 'no services: section');
  return doc;
}

function environment(svc: Obj): Record<string, string> {
  const e = svc.environment;
  if (e === undefined || e === null) return {};
  if (Array.isArray(e)) {
    return Object.fromEntries(
      e.map((x) => {
        const s = String(x);
        const i = s.indexOf('=');
        return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(e as Obj).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

interface PortMapping {
  hostIp: string;
  published: number;
  target: number;
}

function ports(svc: Obj): PortMapping[] {
  const list = (svc.ports ?? []) as unknown[];
  return list.map((p) => {
    if (typeof p === 'object' && p !== null) {
      const o = p as Obj;
      return { hostIp: String(o.host_ip ?? ''), published: Number(o.published), target: Number(o.target) };
    }
    const s = String(p).replace(/\/(tcp|udp)$/, '');
    // [HOST_IP:]PUBLISHED:TARGET (an IPv6 host address is in brackets)
    const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+):(\d+)$/.exec(s);
    assert.ok(m, `port mapping "${s}" is not HOST_IP:PUBLISHED:TARGET`);
    return { hostIp: m[1] ?? '', published: Number(m[2]), target: Number(m[3]) };
  });
}

function dependsOn(svc: Obj): Record<string, string> {
  const d = svc.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [String(n), 'service_started']));
  return Object.fromEntries(Object.entries(d as Obj).map(([n, v]) => [n, String((v as Obj)?.condition ?? 'service_started')]));
}

function command(svc: Obj): string[] {
  const c = svc.command;
  if (c === undefined) return [];
  return Array.isArray(c) ? c.map(String) : String(c).split(/\s+/).filter(Boolean);
}

function healthTest(svc: Obj): string {
  const h = svc.healthcheck as Obj | undefined;
  if (!h || h.disable === true) return '';
  const t = h.test;
  if (Array.isArray(t)) return t[0] === 'NONE' ? '' : t.slice(1).join(' ');
  return typeof t === 'string' ? t : '';
}

function buildContext(svc: Obj): string | undefined {
  const b = svc.build;
  if (typeof b === 'string') return b;
  if (b && typeof b === 'object') return String((b as Obj).context ?? '.');
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Dockerfile helpers

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Instructions with line continuations joined and comments dropped; `stage` counts FROM lines (0-based). */
function dockerfile(): Instruction[] {
  assert.ok(existsSync(DOCKERFILE), 'Dockerfile is missing at the project root');
  const lines = readFileSync(DOCKERFILE, 'utf8').split('\n');
  const out: Instruction[] = [];
  let cur = '';
  let stage = -1;
  for (const raw of lines) {
    const line = raw.trim();
    if (!cur && (line.startsWith('#') || !line)) continue;
    if (cur && line.startsWith('#')) continue; // comment inside a continued instruction
    cur += (cur ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\S+)\s*(.*)$/.exec(cur);
    cur = '';
    if (!m) continue;
    const op = m[1].toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2], stage });
  }
  return out;
}

/** The words of an instruction's arguments: JSON array form or whitespace separated, without --flags. */
function words(args: string): { flags: Record<string, string>; list: string[] } {
  let list: string[];
  const t = args.trim();
  const flags: Record<string, string> = {};
  const rest = t.replace(/^(--[\w-]+(=\S+)?\s+)+/, (f) => {
    for (const x of f.trim().split(/\s+/)) {
      const [k, v] = x.slice(2).split('=');
      flags[k] = v ?? '';
    }
    return '';
  });
  if (rest.startsWith('[')) list = JSON.parse(rest) as string[];
  else list = rest.split(/\s+/).filter(Boolean);
  return { flags, list };
}

function dockerignorePatterns(): string[] {
  if (!existsSync(DOCKERIGNORE)) return [];
  return readFileSync(DOCKERIGNORE, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
}

/** Is `path` (relative to the context) excluded by a .dockerignore pattern? (the forms used in practice) */
function ignored(path: string, patterns: string[]): string | undefined {
  const p = path.replace(/^\.\//, '').replace(/\/+$/, '');
  for (const pat of patterns) {
    const q = pat.replace(/^\.?\//, '').replace(/\/+$/, '');
    if (q.startsWith('**/')) {
      const base = q.slice(3);
      if (p.split('/').some((seg) => seg === base)) return pat;
    } else if (!/[*?[]/.test(q)) {
      if (p === q || p.startsWith(q + '/')) return pat;
    } else {
      const re = new RegExp('^' + q.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '(/.*)?$');
      if (re.test(p)) return pat;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------

test('compose: the five services and PostgreSQL, each built from this project', () => {
  const { services } = loadCompose();
  for (const name of ['postgres', ...APP_SERVICES, 'capture', 'capture-live']) assert.ok(services[name], `service "${name}" is missing`);
  for (const name of [...APP_SERVICES, 'capture', 'capture-live']) {
    assert.equal(buildContext(services[name]), '.', `${name}: build: . (the project root, where the Dockerfile is)`);
  }
  for (const name of APP_SERVICES) {
    assert.deepEqual(command(services[name]), ['serve', '--target', name], `${name}: command`);
  }
  assert.match(String(services.postgres.image), /^postgres:16(\b|[.-])/, 'postgres: image postgres:16');
  const pgEnv = environment(services.postgres);
  for (const k of ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']) assert.equal(pgEnv[k], 'pktlens', `postgres: ${k}`);
});

test('compose: published ports are the defaults of config.ts, on the host loopback only', () => {
  const { services } = loadCompose();
  for (const name of APP_SERVICES) {
    const p = ports(services[name]);
    assert.equal(p.length, 1, `${name}: one published port`);
    assert.equal(p[0].target, DEFAULT_PORTS[name], `${name}: container port is DEFAULT_PORTS.${name}`);
    assert.equal(p[0].published, DEFAULT_PORTS[name], `${name}: host port is DEFAULT_PORTS.${name}`);
  }
  for (const [name, svc] of Object.entries(services)) {
    for (const p of ports(svc)) assert.equal(p.hostIp, '127.0.0.1', `${name}: port ${p.published} must be published on 127.0.0.1 only`);
  }
  // the services listen beyond loopback inside their containers (else nothing reaches them)
  const hostEnv = dockerfile().filter((i) => i.op === 'ENV' && /\bPKTLENS_HOST[= ]/.test(i.args));
  const fromImage = hostEnv.some((i) => /PKTLENS_HOST[= ]"?0\.0\.0\.0"?/.test(i.args));
  for (const name of APP_SERVICES) {
    const h = environment(services[name])[ENV.host];
    if (h !== undefined) assert.equal(h, '0.0.0.0', `${name}: PKTLENS_HOST`);
    else assert.ok(fromImage, `${name}: PKTLENS_HOST=0.0.0.0 neither in the service nor in the Dockerfile`);
  }
});

test('compose: environment names are the ones the code reads, peer URLs name the right service and port', () => {
  const { services } = loadCompose();
  const pg = environment(services.postgres);
  for (const [name, svc] of Object.entries(services)) {
    const env = environment(svc);
    for (const k of Object.keys(env)) {
      if (name === 'postgres') assert.match(k, /^POSTGRES_/, `postgres: unexpected ${k}`);
      else assert.ok(ENV_NAMES.has(k), `${name}: ${k} is not an environment name of src/services/config.ts (ENV)`);
    }
    for (const [k, target] of Object.entries(URL_ENV)) {
      if (env[k] === undefined) continue;
      const u = new URL(env[k]);
      const hostNet = svc.network_mode === 'host';
      const wantHost = hostNet ? '127.0.0.1' : target;
      const wantPort = hostNet ? ports(services[target])[0]?.published : DEFAULT_PORTS[target];
      assert.equal(u.hostname, wantHost, `${name}: ${k} must name ${wantHost}`);
      assert.equal(Number(u.port), wantPort, `${name}: ${k} must use port ${wantPort}`);
      assert.equal(u.protocol, 'http:', `${name}: ${k}`);
    }
    if (env[ENV.databaseUrl] !== undefined) {
      const u = new URL(env[ENV.databaseUrl]);
      assert.match(u.protocol, /^postgres(ql)?:$/, `${name}: DATABASE_URL scheme`);
      assert.equal(u.hostname, 'postgres', `${name}: DATABASE_URL host`);
      assert.equal(u.port || '5432', '5432', `${name}: DATABASE_URL port`);
      assert.equal(decodeURIComponent(u.username), pg.POSTGRES_USER, `${name}: DATABASE_URL user`);
      assert.equal(decodeURIComponent(u.password), pg.POSTGRES_PASSWORD, `${name}: DATABASE_URL password`);
      assert.equal(u.pathname.slice(1), pg.POSTGRES_DB, `${name}: DATABASE_URL database`);
    }
  }
  // who needs what
  for (const name of ['persistor', 'analyzer']) assert.ok(environment(services[name])[ENV.databaseUrl], `${name}: DATABASE_URL`);
  assert.ok(environment(services.parser)[ENV.persistorUrl], 'parser: PKTLENS_PERSISTOR_URL');
  assert.ok(environment(services.ui)[ENV.analyzerUrl], 'ui: PKTLENS_ANALYZER_URL');
  assert.ok(environment(services.capture)[ENV.parserUrl], 'capture: PKTLENS_PARSER_URL');
  assert.ok(environment(services['capture-live'])[ENV.parserUrl], 'capture-live: PKTLENS_PARSER_URL');
});

test('compose: logs go to a shared folder every service mounts', () => {
  const doc = loadCompose();
  const declared = new Set(Object.keys(doc.volumes ?? {}));
  for (const name of [...APP_SERVICES, 'capture', 'capture-live']) {
    const svc = doc.services[name];
    const dir = environment(svc)[ENV.logDir];
    assert.equal(dir, '/app/logs', `${name}: PKTLENS_LOG_DIR`);
    const mounts = ((svc.volumes ?? []) as unknown[]).map((v) =>
      typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : { source: String((v as Obj).source), target: String((v as Obj).target) },
    );
    const m = mounts.find((x) => x.target === dir);
    assert.ok(m, `${name}: nothing mounted at ${dir}`);
    if (!/^[./~]/.test(m.source)) assert.ok(declared.has(m.source), `${name}: volume "${m.source}" is not declared under volumes:`);
  }
});

test('compose: depends_on follows the chain, waiting for health', () => {
  const { services } = loadCompose();
  const chain: [string, string][] = [
    ['persistor', 'postgres'],
    ['parser', 'persistor'],
    ['analyzer', 'postgres'],
    ['ui', 'analyzer'],
    ['capture', 'parser'],
    ['capture-live', 'parser'],
  ];
  for (const [from, to] of chain) {
    const d = dependsOn(services[from]);
    assert.equal(d[to], 'service_healthy', `${from} must depend on ${to} with condition: service_healthy`);
  }
  // every dependency names a service, each waits for health, and there is no cycle
  const seen = new Map<string, number>();
  const visit = (n: string, path: string[]): void => {
    assert.ok(services[n], `depends_on names an unknown service "${n}"`);
    assert.ok(!path.includes(n), `depends_on cycle: ${[...path, n].join(' → ')}`);
    if (seen.get(n) === 2) return;
    for (const [dep, cond] of Object.entries(dependsOn(services[n]))) {
      assert.equal(cond, 'service_healthy', `${n} → ${dep}: condition service_healthy`);
      visit(dep, [...path, n]);
    }
    seen.set(n, 2);
  };
  for (const n of Object.keys(services)) visit(n, []);
});

test('compose: long-running services have a health check and restart; the replay does not restart', () => {
  const { services } = loadCompose();
  for (const name of LONG_RUNNING) {
    assert.ok(healthTest(services[name]), `${name}: healthcheck`);
    assert.equal(services[name].restart, 'unless-stopped', `${name}: restart: unless-stopped`);
  }
  assert.match(healthTest(services.postgres), /pg_isready/, 'postgres: healthcheck with pg_isready');
  for (const name of APP_SERVICES) {
    const t = healthTest(services[name]);
    assert.match(t, /\/readyz/, `${name}: the healthcheck asks /readyz`);
    assert.match(t, new RegExp(`:${DEFAULT_PORTS[name]}/`), `${name}: the healthcheck asks its own port ${DEFAULT_PORTS[name]}`);
  }
  const r = services.capture.restart;
  assert.ok(r === undefined || r === 'no' || r === false, `capture (a replay that ends) must not restart, has ${String(r)}`);
});

test('compose: capture replays the sample; capture-live sniffs the host with NET_RAW and NET_ADMIN', () => {
  const { services } = loadCompose();
  const c = command(services.capture);
  assert.equal(c[0], 'capture', 'capture: command starts with capture');
  const r = c.indexOf('-r');
  assert.ok(r > 0 && c[r + 1], 'capture: -r FILE');
  assert.ok(existsSync(join(ROOT, c[r + 1])), `capture: ${c[r + 1]} does not exist in the project (relative to /app)`);

  const live = services['capture-live'];
  assert.deepEqual(live.profiles, ['live'], 'capture-live: profiles: [live]');
  assert.equal(live.network_mode, 'host', 'capture-live: network_mode: host');
  const caps = ((live.cap_add ?? []) as string[]).map((x) => x.replace(/^CAP_/, ''));
  for (const cap of ['NET_RAW', 'NET_ADMIN']) assert.ok(caps.includes(cap), `capture-live: cap_add ${cap}`);
  const lc = command(live);
  assert.equal(lc[0], 'capture');
  assert.ok(lc.includes('-i'), 'capture-live: capture -i IFACE');
  assert.match(lc[lc.indexOf('-i') + 1], /^\$\{PKTLENS_IFACE:-\w+\}$/, 'capture-live: interface from ${PKTLENS_IFACE:-…}');
  assert.equal(ports(live).length, 0, 'capture-live: host networking publishes nothing');
});

test('Dockerfile: multi-stage build, non-root runtime with tcpdump capabilities', () => {
  const ins = dockerfile();
  const froms = ins.filter((i) => i.op === 'FROM');
  assert.ok(froms.length >= 2, 'at least two FROM stages');
  for (const f of froms) assert.match(f.args, /^node:20-bookworm-slim\b/, `FROM ${f.args}: node:20-bookworm-slim`);
  const last = froms.length - 1;
  const final = ins.filter((i) => i.stage === last);
  const runs = (stage: number): string => ins.filter((i) => i.stage === stage && i.op === 'RUN').map((i) => i.args).join('\n');

  const users = final.filter((i) => i.op === 'USER');
  assert.ok(users.length, 'the runtime stage sets USER');
  const user = users[users.length - 1].args.trim().split(':')[0];
  assert.ok(user !== 'root' && user !== '0', `runtime USER is ${user}`);

  assert.match(runs(last), /apt-get install[^\n]*\btcpdump\b/, 'runtime: apt-get install tcpdump');
  assert.match(runs(last), /apt-get install[^\n]*\blibcap2-bin\b/, 'runtime: apt-get install libcap2-bin');
  assert.match(runs(last), /setcap\s+['"]?cap_net_raw,cap_net_admin=eip['"]?\s+[^\n]*tcpdump/, 'runtime: setcap cap_net_raw,cap_net_admin=eip on tcpdump');

  // the build stage installs with dev tools and builds; the runtime installs production dependencies without scripts
  const buildStages = froms.slice(0, -1).map((_, i) => i);
  assert.ok(buildStages.some((s) => /\bnpm ci\b/.test(runs(s))), 'a build stage runs npm ci');
  const prodCi = runs(last).split('\n').find((l) => /\bnpm ci\b/.test(l));
  assert.ok(prodCi, 'runtime: npm ci');
  assert.match(prodCi, /--omit=dev/, 'runtime: npm ci --omit=dev');
  assert.match(prodCi, /--ignore-scripts/, 'runtime: npm ci --ignore-scripts (prepare would run tsc)');

  const entry = final.find((i) => i.op === 'ENTRYPOINT');
  assert.ok(entry, 'ENTRYPOINT');
  assert.deepEqual(words(entry.args).list, ['node', 'bin/pktlens.js']);
  assert.ok(existsSync(join(ROOT, 'bin/pktlens.js')));
  const workdir = final.filter((i) => i.op === 'WORKDIR').pop();
  assert.equal(workdir?.args.trim(), '/app', 'runtime WORKDIR /app (compose logs live in /app/logs)');

  const exposed = new Set(final.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => Number(p.split('/')[0]))));
  for (const s of APP_SERVICES) assert.ok(exposed.has(DEFAULT_PORTS[s]), `EXPOSE ${DEFAULT_PORTS[s]} (${s})`);
  const hc = final.find((i) => i.op === 'HEALTHCHECK');
  assert.ok(hc && /\/healthz/.test(hc.args) && /\bfetch\(/.test(hc.args), 'HEALTHCHECK fetching /healthz with node');

  for (const i of ins.filter((x) => x.op === 'ENV')) {
    const names = [...i.args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]);
    for (const n of names) assert.ok(n === 'NODE_ENV' || ENV_NAMES.has(n), `ENV ${n} is not an environment name of config.ts`);
  }
});

test('Dockerfile: everything it copies exists in the project or is made by its build stage', () => {
  const ins = dockerfile();
  const patterns = dockerignorePatterns();
  for (const must of ['node_modules', 'dist', 'web/dist', '.git']) {
    assert.ok(ignored(must, patterns), `.dockerignore should exclude ${must}`);
  }
  const stageNames = new Map<string, number>();
  ins.filter((i) => i.op === 'FROM').forEach((f, n) => {
    const m = /\bAS\s+(\S+)/i.exec(f.args);
    if (m) stageNames.set(m[1], n);
  });
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string } };
  let copies = 0;
  for (const i of ins.filter((x) => x.op === 'COPY' || x.op === 'ADD')) {
    const { flags, list } = words(i.args);
    const sources = list.slice(0, -1);
    assert.ok(sources.length, `${i.op} ${i.args}: no source`);
    for (const src of sources) {
      copies++;
      if (flags.from !== undefined) {
        assert.ok(stageNames.has(flags.from) && stageNames.get(flags.from)! < i.stage, `COPY --from=${flags.from}: no earlier stage of that name`);
        const rel = src.replace(/^\/app\//, '').replace(/\/+$/, '');
        assert.ok(['dist', 'web/dist'].includes(rel), `COPY --from=${flags.from} ${src}: only build outputs (dist, web/dist) come from the build stage`);
        if (rel === 'dist') assert.equal(tsconfig.compilerOptions.outDir, 'dist', 'tsc writes dist/');
        if (rel === 'web/dist') assert.match(readFileSync(join(ROOT, 'web/vite.config.ts'), 'utf8'), /outDir:\s*'dist'/, 'vite writes web/dist/');
        continue;
      }
      assert.ok(!/[*?]/.test(src), `${i.op} ${src}: use explicit paths`);
      assert.ok(existsSync(join(ROOT, src)), `${i.op} ${src}: not in the project`);
      const why = ignored(src, patterns);
      assert.ok(!why, `${i.op} ${src}: excluded from the build context by .dockerignore (${why})`);
      if (statSync(join(ROOT, src)).isDirectory()) assert.ok(!/^(node_modules|dist)$/.test(src.replace(/\/+$/, '')), `${src} is built inside the image`);
    }
  }
  assert.ok(copies >= 5, 'the Dockerfile copies the sources');
  // the runtime has what `pktlens` needs at run time
  const final = ins.filter((i) => i.stage === Math.max(...ins.map((x) => x.stage)));
  const copied = final.filter((i) => i.op === 'COPY').flatMap((i) => words(i.args).list.slice(0, -1).map((s) => s.replace(/^\/app\//, '').replace(/\/+$/, '')));
  for (const need of ['package.json', 'bin', 'dist', 'web/dist', 'samples']) assert.ok(copied.includes(need), `runtime stage: COPY ${need}`);
});
