/**
 * Login for remote use. Captured traffic is sensitive: a UI or Analyzer that listens beyond loopback answers only
 * requests with a valid session (an HttpOnly, SameSite=Strict cookie from POST /login) or `Authorization: Bearer
 * <password>` (API clients, Prometheus, the UI forwarding /api to an Analyzer in another process). On loopback no
 * login is needed. This file is the one place that decides; makeApp (http.ts) installs it as an onRequest hook.
 *
 * - The password comes from --password or PKTLENS_PASSWORD; without either, one is generated and printed once.
 * - Sessions live in memory (12 h, at most MAX_SESSIONS; the oldest go first); a restart logs everybody out.
 * - Failed attempts (wrong password at /login, wrong bearer anywhere) are limited per client address (IPv6 by /64):
 *   after MAX_FAILURES in WINDOW_MS every further attempt gets 429 with Retry-After, even with the right password.
 * - Without a valid session: 401, as JSON for API requests and as the login page (a form, no script) for a browser's
 *   page request. Open: /healthz, /readyz, /login, /logout.
 * - Passwords are compared through their SHA-256 digests with timingSafeEqual (no early exit, no length leak).
 *
 * Distinct from PKTLENS_TOKEN, the machine token of the ingestion endpoints (/parse, /store): that one is shared by
 * services and capture agents; this one is given to people.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENV } from './config.js';

export const SESSION_TTL_MS = 12 * 3600_000;
export const MAX_SESSIONS = 10_000;
export const MAX_FAILURES = 5;
export const WINDOW_MS = 60_000;
/** addresses the limiter remembers at most (bounded memory under a spray of addresses) */
const MAX_TRACKED = 50_000;
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/login', '/logout']);

/** Whether a bind address is loopback only: 127.0.0.0/8, ::1, localhost (0.0.0.0 and :: are every interface). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return m ? m[1]!.startsWith('127.') : false;
}

/** name → value of a Cookie header (the session id is base64url: nothing to decode). */
function parseCookies(h: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = Object.create(null);
  for (const part of h.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] ??= part.slice(i + 1).trim();
  }
  return out;
}

/** The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it), the whole site. */
function sessionCookie(name: string, value: string, maxAgeS: number): string {
  return `${name}=${value}; Max-Age=${maxAgeS}; Path=/; HttpOnly; SameSite=Strict`;
}
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export interface LoginOptions {
  password: string;
  /** true when the password was generated at start (printed once) rather than given */
  generated?: boolean;
  now?: () => number;
}

export class Login {
  readonly password: string;
  readonly generated: boolean;
  private readonly want: Buffer;
  /** sha256(session id) as hex → expiry (ms); a Map keeps insertion order, so the first entry is the oldest */
  private readonly sessions = new Map<string, number>();
  /** client key → failure times within the window */
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(o: LoginOptions) {
    if (!o.password) throw new Error('an empty password would let anyone in');
    this.password = o.password;
    this.generated = o.generated ?? false;
    this.want = digest(o.password);
    this.now = o.now ?? Date.now;
  }

  /** The given password, PKTLENS_PASSWORD, or a new random one (generated: true). */
  static resolve(password: string | undefined, env: NodeJS.ProcessEnv = process.env): Login {
    const given = password || env[ENV.password];
    return given ? new Login({ password: given }) : new Login({ password: randomBytes(18).toString('base64url'), generated: true });
  }

  passwordMatches(got: string): boolean {
    return timingSafeEqual(digest(got), this.want);
  }

  /** Seconds until `key` may try again, or 0 when it may. */
  blockedFor(key: string): number {
    const t = this.failures.get(key);
    if (!t) return 0;
    const now = this.now();
    while (t.length && t[0]! <= now - WINDOW_MS) t.shift();
    if (!t.length) {
      this.failures.delete(key);
      return 0;
    }
    return t.length >= MAX_FAILURES ? Math.max(1, Math.ceil((t[0]! + WINDOW_MS - now) / 1000)) : 0;
  }

  private fail(key: string): void {
    let t = this.failures.get(key);
    if (!t) {
      if (this.failures.size >= MAX_TRACKED) this.failures.delete(this.failures.keys().next().value!);
      this.failures.set(key, (t = []));
    }
    t.push(this.now());
    if (t.length > MAX_FAILURES) t.shift();
  }

  newSession(): string {
    const id = randomBytes(32).toString('base64url');
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(digest(id).toString('hex'), this.now() + SESSION_TTL_MS);
    return id;
  }

  sessionValid(id: string | undefined): boolean {
    if (!id) return false;
    const k = digest(id).toString('hex');
    const exp = this.sessions.get(k);
    if (exp === undefined) return false;
    if (exp <= this.now()) {
      this.sessions.delete(k);
      return false;
    }
    return true;
  }

  endSession(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id).toString('hex'));
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The routes /login and /logout and the guard on every other route of `app`. */
  install(app: FastifyInstance): void {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    app.addHook('onRequest', async (req, reply) => {
      const path = req.url.split('?')[0]!;
      if (OPEN_PATHS.has(path)) return;
      if (this.sessionValid(parseCookies(req.headers.cookie ?? '')[cookieName(req)])) return;
      const h = req.headers.authorization;
      if (h && /^bearer /i.test(h)) {
        const key = clientKey(req);
        const wait = this.blockedFor(key);
        if (wait) return tooMany(reply, wait);
        if (this.passwordMatches(h.slice(7))) return;
        this.fail(key);
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'wrong password in the bearer token', code: 'PKT_ERR_LOGIN' });
      }
      if (wantsPage(req)) return sendLoginPage(reply, 401, safeNext(req.url), ''); // after the login: back to this page
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'login required: POST /login {"password": …}, or send Authorization: Bearer <password>', code: 'PKT_ERR_LOGIN' });
    });

    app.get('/login', async (req, reply) => {
      const next = safeNext((req.query as { next?: string }).next);
      if (this.sessionValid(parseCookies(req.headers.cookie ?? '')[cookieName(req)])) return reply.redirect(next, 303);
      return sendLoginPage(reply, 200, next, '');
    });

    app.post('/login', async (req, reply) => {
      const form = !String(req.headers['content-type'] ?? '').includes('json');
      const body = (req.body ?? {}) as { password?: unknown; next?: unknown };
      const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
      // a login form posted from another site (login CSRF): the browser says where the form was
      const origin = req.headers.origin;
      if (origin && origin !== 'null' && hostOfUrl(origin) !== req.headers.host) {
        return reply.code(403).send({ error: `cross-origin login refused (Origin ${origin})`, code: 'PKT_ERR_LOGIN' });
      }
      const key = clientKey(req);
      const wait = this.blockedFor(key);
      if (wait) {
        if (form) return sendLoginPage(reply.header('retry-after', String(wait)), 429, next, `Too many wrong passwords: try again in ${wait} s.`);
        return tooMany(reply, wait);
      }
      if (typeof body.password !== 'string' || !body.password || body.password.length > 1024 || !this.passwordMatches(body.password)) {
        this.fail(key);
        if (form) return sendLoginPage(reply, 401, next, 'Wrong password.');
        return reply.code(401).send({ error: 'wrong password', code: 'PKT_ERR_LOGIN' });
      }
      reply.header('set-cookie', sessionCookie(cookieName(req), this.newSession(), SESSION_TTL_MS / 1000));
      return form ? reply.redirect(next, 303) : reply.code(204).send();
    });

    app.post('/logout', async (req, reply) => {
      const name = cookieName(req);
      this.endSession(parseCookies(req.headers.cookie ?? '')[name]);
      reply.header('set-cookie', sessionCookie(name, '', 0));
      return String(req.headers['content-type'] ?? '').includes('form') ? reply.redirect('/login', 303) : reply.code(204).send();
    });
  }
}

/** Cookies are shared by every port of a host: one name per port, so the UI's and the Analyzer's do not collide. */
function cookieName(req: FastifyRequest): string {
  return `pktlens_session_${req.socket.localPort ?? 0}`;
}

/** The failure counter's key: the client address, IPv6 by its /64 (one host usually owns a whole /64). */
function clientKey(req: FastifyRequest): string {
  const ip = req.ip ?? '';
  if (isIP(ip) !== 6 || ip.startsWith('::ffff:')) return ip;
  const full = expandV6(ip);
  return full ? full.slice(0, 4).join(':') + '::/64' : ip;
}

function expandV6(ip: string): string[] | null {
  const [a, b] = ip.split('::');
  const head = a ? a.split(':') : [];
  const tail = b !== undefined ? (b ? b.split(':') : []) : [];
  if (b === undefined) return head.length === 8 ? head : null;
  return [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
}

function tooMany(reply: FastifyReply, wait: number): FastifyReply {
  return reply.code(429).header('retry-after', String(wait)).send({ error: `too many wrong passwords from this address: try again in ${wait} s`, code: 'PKT_ERR_LOGIN_LIMIT' });
}

/** A browser asking for a page (not an API call, not a script or image). */
function wantsPage(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (req.url.startsWith('/api/') || req.url === '/api') return false;
  return String(req.headers.accept ?? '').includes('text/html');
}

function hostOfUrl(u: string): string | null {
  try {
    return new URL(u).host;
  } catch {
    return null;
  }
}

/** Where to go after logging in: a path on this site only (no //host, no scheme). */
function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\r\n]/.test(next) || next.startsWith('/login')) return '/';
  return next.slice(0, 2000);
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page's own policy: no script at all; the UI service's onSend hook may replace it with its (also script-free inline) CSP. */
const LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function sendLoginPage(reply: FastifyReply, status: number, next: string, message: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', LOGIN_CSP).send(loginPage(next, message));
}

export function loginPage(next: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>pktlens — log in</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; display: grid; place-items: center; min-height: 100vh; margin: 0; background: Canvas; color: CanvasText; }
  form { display: grid; gap: .75rem; padding: 2rem; border: 1px solid color-mix(in srgb, CanvasText 20%, transparent); border-radius: 8px; min-width: 18rem; }
  h1 { font-size: 1.25rem; margin: 0; }
  input, button { font: inherit; padding: .45rem .6rem; }
  .error { color: #c62828; margin: 0; }
  .hint { font-size: .85rem; opacity: .75; margin: 0; max-width: 22rem; }
</style>
</head>
<body>
<form method="post" action="/login" data-testid="login-form">
  <h1>pktlens</h1>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
  <input type="hidden" name="next" value="${esc(next)}">
  ${message ? `<p class="error" role="alert">${esc(message)}</p>` : ''}
  <button type="submit">Log in</button>
  <p class="hint">This pktlens listens beyond loopback, so it asks for the password given at start (--password or PKTLENS_PASSWORD, or the one it printed).</p>
</form>
</body>
</html>
`;
}
