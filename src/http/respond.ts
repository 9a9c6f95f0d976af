import type { ServerResponse } from 'node:http';

/** A handler's answer; the server writes it. Bodies are already-serialized text. */
export interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(value), contentType: JSON_TYPE, ...(headers ? { headers } : {}) };
}

/** JSON whose text is assembled by the caller (e.g. trades in their fixed wire order). */
export function rawJson(status: number, text: string): Reply {
  return { status, body: text, contentType: JSON_TYPE };
}

/** `{"error": "...", "parameter"?: "..."}`: every refusal names what was wrong. */
export function problem(
  status: number,
  error: string,
  extra: Record<string, string> = {},
  headers?: Record<string, string>,
): Reply {
  return json(status, { error, ...extra }, headers);
}

export function write(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(reply.status, {
    'content-type': reply.contentType,
    'content-length': Buffer.byteLength(reply.body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  res.end(reply.body);
}
