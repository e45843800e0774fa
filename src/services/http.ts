/**
 * The HTTP frame every service shares: one Fastify instance per listening service, with /healthz, /readyz and
 * /metrics, the login of auth.ts when asked for, JSON errors `{error, code?}` with a 4xx for bad input, and the optional bearer token.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registry, type ServiceMetrics } from './metrics.js';
import { Rejected, Resync } from '../bus/messages.js';
import type { Logger } from './log.js';
import type { Login } from './auth.js';

export interface AppOptions {
  service: string;
  log: Logger;
  metrics: ServiceMetrics;
  /** readiness beyond "listening" (e.g. the database answers) */
  ready?: () => boolean | Promise<boolean>;
  bodyLimit?: number;
  /** require a login on every route but /healthz and /readyz (the UI and the Analyzer beyond loopback; auth.ts) */
  login?: Login | null;
}

export function makeApp(o: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: false, // the service logs requests and errors itself, below
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    keepAliveTimeout: 65_000,
    requestTimeout: 0,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, allowUnionTypes: true } },
  });
  if (o.login) o.login.install(app); // first: the guard covers every route, /metrics included
  app.addHook('onResponse', (req, reply, done) => {
    if (reply.statusCode >= 500) o.log.warn({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request failed');
    else o.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    if (err instanceof Resync) return reply.code(409).send({ error: err.message, code: err.code });
    if (err instanceof Rejected) {
      o.metrics.rejected.inc();
      return reply.code(err.status).send({ error: err.message });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status < 500) {
      o.metrics.rejected.inc();
      const error = status === 413 ? `request body too large (limit ${Math.round((o.bodyLimit ?? 1024 * 1024) / 1024)} KiB): send smaller batches` : err.message;
      return reply.code(status).send({ error, ...(err.code ? { code: err.code } : {}) });
    }
    o.metrics.errors.inc();
    o.log.error({ err, url: req.url }, 'request failed');
    return reply.code(status).send({ error: err.message || 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));
  app.get('/healthz', async () => ({ status: 'ok', service: o.service }));
  app.get('/readyz', async (req, reply) => {
    let ok = false;
    try {
      ok = o.ready ? await o.ready() : true;
    } catch {
      ok = false;
    }
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', service: o.service });
  });
  app.get('/metrics', async (req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return app;
}

/** onRequest hook: 401 unless `Authorization: Bearer <token>` matches (no check when no token is configured). */
export function bearerGuard(token: string | undefined, metrics: ServiceMetrics) {
  const want = token ? Buffer.from(token) : null;
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!want) return;
    const h = req.headers.authorization ?? '';
    const got = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      metrics.rejected.inc();
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token (PKTLENS_TOKEN)' });
    }
  };
}
