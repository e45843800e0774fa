/**
 * The UI service: the web app (web/dist, built by Vite) with a strict Content-Security-Policy, and /api/* answered
 * by the Analyzer: its routes mounted here when it runs in this process, else forwarded to it over HTTP.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from './log.js';

export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

export const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
].join('; ');

function hasBody(h: import('node:http').IncomingHttpHeaders): boolean {
  return (h['content-length'] !== undefined && h['content-length'] !== '0') || h['transfer-encoding'] !== undefined;
}

export async function uiRoutes(
  app: FastifyInstance,
  deps: { log: Logger; analyzerUrl?: string; analyzerPassword?: string; mountApi?: (api: FastifyInstance) => void },
): Promise<void> {
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    if (!req.url.startsWith('/api/') && req.method === 'GET') deps.log.info({ url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'page');
  });

  if (deps.mountApi) {
    const mount = deps.mountApi;
    await app.register(async (api) => mount(api), { prefix: '/api' });
  } else if (deps.analyzerUrl) {
    const base = deps.analyzerUrl;
    // bodies other than JSON (capture uploads) are not read here: forwarded as they stream in
    app.addContentTypeParser('*', (req, payload, done) => done(null));
    app.all('/api/*', async (req, reply) => {
      const path = req.url.slice(4); // keeps the query string
      let res: Response;
      try {
        res = await fetch(base + path, {
          method: req.method,
          headers: {
            accept: String(req.headers.accept ?? '*/*'),
            ...(req.headers['content-type'] ? { 'content-type': String(req.headers['content-type']) } : {}),
            ...(req.body === undefined && req.headers['content-length'] ? { 'content-length': String(req.headers['content-length']) } : {}),
            ...(deps.analyzerPassword ? { authorization: `Bearer ${deps.analyzerPassword}` } : {}),
          },
          // a body parsed (read) here (JSON, text) is sent again; any other is the unread request stream
          body: req.method === 'GET' || req.method === 'HEAD' || !hasBody(req.headers) ? undefined : req.body === undefined ? (req.raw as unknown as BodyInit) : typeof req.body === 'string' ? req.body : JSON.stringify(req.body),
          duplex: 'half',
        } as RequestInit);
      } catch (e) {
        return reply.code(502).send({ error: `Analyzer unreachable at ${base}: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}` });
      }
      reply.code(res.status);
      for (const h of ['content-type', 'content-disposition', 'cache-control']) {
        const v = res.headers.get(h);
        if (v) reply.header(h, v);
      }
      return reply.send(res.body ? Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) : '');
    });
  }

  const index = WEB_DIST + 'index.html';
  if (!existsSync(index)) {
    deps.log.warn({ dir: WEB_DIST }, 'web app not built');
    app.get('/', async (req, reply) => reply.code(503).type('text/plain').send('pktlens: the web app is not built; run `npm run build` (or `npm ci`) in the project folder'));
    return;
  }
  const html = readFileSync(index);
  // every built file gets its own route (wildcard: false); hashed assets are cached for good
  await app.register(fastifyStatic, {
    root: WEB_DIST, prefix: '/', index: false, wildcard: false, decorateReply: false,
    setHeaders: (res, path) => res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  // the app's other files (favicon and the like) and client-side routes: index.html
  app.get('/*', async (req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  });
}
