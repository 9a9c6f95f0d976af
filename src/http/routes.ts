import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { firstIssue, tradeToJson } from '../domain/index.js';
import { refuseUnlessAdmin } from './admin.js';
import { readJsonBody } from './body.js';
import type { HttpContext } from './context.js';
import { indexPage } from './page.js';
import { readiness } from './readiness.js';
import { json, problem, type Reply, rawJson } from './respond.js';
import { dashboardFiles, serveFile } from './static.js';
import { parseTradesQuery } from './trades-query.js';

export type Method = 'GET' | 'POST' | 'DELETE';
export type Handler = (req: IncomingMessage, url: URL, params: readonly string[]) => Reply | Promise<Reply>;

export interface Route {
  /** An exact path, or a pattern whose groups become `params` (already URI-decoded). */
  path: string | RegExp;
  methods: Partial<Record<Method, Handler>>;
}

/** `backoff.maxDelayMs`, `id`, or the unknown key itself: the one key a refusal names. */
function issueKey(error: z.ZodError): { key: string; message: string } {
  return firstIssue(error) ?? { key: '(root)', message: 'invalid' };
}

/** The route table of CONTRACT §5. `httpPort` is the bound port, known once listening. */
export function routes<S extends { id: string }>(ctx: HttpContext<S>, httpPort: () => number): Route[] {
  const sourceWithStatus = (id: string) => {
    const view = ctx.sources().find((s) => s.id === id);
    return view ? { ...view, status: ctx.statuses()[id] ?? null } : undefined;
  };
  const known = (id: string) => ctx.sources().some((s) => s.id === id);
  const files = dashboardFiles();

  return [
    { path: '/', methods: { GET: (req) => serveFile(req, files.index, '/') } },
    {
      path: /^\/assets\/(.+)$/,
      methods: { GET: (req, _url, [name = '']) => serveFile(req, files.assets.get(name), `/assets/${name}`) },
    },
    {
      path: /^\/vendor\/(.+)$/,
      methods: { GET: (req, _url, [name = '']) => serveFile(req, files.vendor.get(name), `/vendor/${name}`) },
    },
    {
      path: /^\/viz\/(.+)\.svg$/,
      methods: { GET: (req, _url, [name = '']) => serveFile(req, files.viz.get(name), `/viz/${name}.svg`) },
    },
    {
      path: '/api',
      methods: {
        GET: () => ({ status: 200, body: indexPage(ctx.version), contentType: 'text/html; charset=utf-8' }),
      },
    },
    { path: '/health', methods: { GET: () => json(200, { status: 'ok' }) } },
    {
      path: '/ready',
      methods: {
        GET: () => {
          const r = readiness(ctx.brokerListening(), ctx.statuses());
          return r.ready
            ? json(200, { status: 'ready', sources: r.sources })
            : json(503, { status: 'not ready', reasons: r.reasons });
        },
      },
    },
    {
      path: '/metrics',
      methods: {
        GET: async () => {
          const { contentType, body } = await ctx.metrics();
          return { status: 200, body, contentType };
        },
      },
    },
    {
      path: '/api/info',
      methods: {
        GET: () =>
          json(200, {
            version: ctx.version,
            startedAt: ctx.startedAt.toISOString(),
            uptimeSeconds: Math.floor((Date.now() - ctx.startedAt.getTime()) / 1000),
            ports: { ...ctx.ports(), http: httpPort() },
          }),
      },
    },
    {
      path: '/api/sources',
      methods: {
        GET: () => json(200, { sources: ctx.sources().map((s) => sourceWithStatus(s.id) ?? s) }),
        POST: async (req) => {
          const refused = refuseUnlessAdmin(req, ctx.adminToken);
          if (refused) return refused;
          const body = await readJsonBody(req);
          if (!body.ok) return body.reply;
          const parsed = ctx.sourceSchema.safeParse(body.value);
          if (!parsed.success) {
            const { key, message } = issueKey(parsed.error);
            return problem(400, `${key}: ${message}`, { key });
          }
          const { id } = parsed.data;
          if (known(id)) return problem(409, `source "${id}" exists`, { key: 'id' });
          ctx.addSource(parsed.data);
          return json(201, { source: sourceWithStatus(id) ?? { id } }, { location: `/api/sources/${id}` });
        },
      },
    },
    {
      path: /^\/api\/sources\/([^/]+)$/,
      methods: {
        GET: (_req, _url, [id = '']) => {
          const source = sourceWithStatus(id);
          return source ? json(200, source) : problem(404, `no source "${id}"`);
        },
        DELETE: async (req, _url, [id = '']) => {
          const refused = refuseUnlessAdmin(req, ctx.adminToken);
          if (refused) return refused;
          if (!known(id)) return problem(404, `no source "${id}"`);
          await ctx.removeSource(id);
          return json(200, { removed: id });
        },
      },
    },
    {
      path: /^\/api\/sources\/([^/]+)\/retry$/,
      methods: {
        POST: (req, _url, [id = '']) => {
          const refused = refuseUnlessAdmin(req, ctx.adminToken);
          if (refused) return refused;
          if (!known(id)) return problem(404, `no source "${id}"`);
          const state = ctx.retrySource(id);
          if (state !== 'failed') {
            return problem(409, `source "${id}" is ${state ?? 'starting'}: only a failed source retries`, {
              state: state ?? 'starting',
            });
          }
          return json(202, { retrying: id });
        },
      },
    },
    {
      path: '/api/trades',
      methods: {
        GET: (_req, url) => {
          const parsed = parseTradesQuery(url.searchParams);
          if (!parsed.ok) return problem(400, parsed.error, { parameter: parsed.parameter });
          const { query } = parsed;
          if (query.source !== undefined && !known(query.source)) {
            return problem(404, `source: no source "${query.source}"`, { parameter: 'source' });
          }
          const trades = ctx.store.recent(query.symbol, query);
          // Each trade in the contract's field order, exactly as published over MQTT.
          return rawJson(200, `{"trades":[${trades.map(tradeToJson).join(',')}]}`);
        },
      },
    },
  ];
}
