import type { IncomingMessage, ServerResponse } from 'node:http';
import { DataServerError } from '../src/domain/index.js';
import type { FaultController } from './controller.js';

/** A fault is a few dozen bytes; this bounds what one request can make us buffer. */
const MAX_BODY_BYTES = 16 * 1024;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function reply(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Reads the whole body, keeping at most MAX_BODY_BYTES: the rest is drained so the answer gets through. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `Body larger than ${MAX_BODY_BYTES} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}

async function postFault(req: IncomingMessage, controller: FaultController): Promise<object> {
  const text = await readBody(req);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, `Body is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return { ok: true, ...controller.apply(value) };
  } catch (err) {
    if (err instanceof DataServerError && err.code === 'CONFIG_INVALID')
      throw new HttpProblem(400, err.message);
    throw err;
  }
}

interface Route {
  readonly method: string;
  run(req: IncomingMessage, controller: FaultController): Promise<object>;
}

const ROUTES: ReadonlyMap<string, Route> = new Map([
  ['/control/fault', { method: 'POST', run: postFault }],
  ['/control/status', { method: 'GET', run: async (_req, controller) => controller.status() }],
]);

/**
 * The simulator's control routes on its own port: `POST /control/fault` with a fault as the JSON
 * body, `GET /control/status`. Anything else is 404.
 */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  controller: FaultController,
): Promise<void> {
  const path = (req.url ?? '').split('?', 1)[0] ?? '';
  const route = ROUTES.get(path);
  if (route === undefined) return reply(res, 404, { error: 'Not found' });
  if (req.method !== route.method) {
    req.resume();
    return reply(res, 405, { ok: false, error: `Use ${route.method} ${path}` }, { allow: route.method });
  }
  try {
    reply(res, 200, await route.run(req, controller));
  } catch (err) {
    if (!(err instanceof HttpProblem)) throw err;
    reply(res, err.status, { ok: false, error: err.message });
  }
}
