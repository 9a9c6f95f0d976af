import type { IncomingMessage } from 'node:http';
import { problem, type Reply } from './respond.js';

export const MAX_BODY_BYTES = 64 * 1024;

export type BodyResult = { ok: true; value: unknown } | { ok: false; reply: Reply };

const tooLarge = (limit: number) =>
  problem(413, `request body over ${limit} bytes`, {}, { connection: 'close' });

/**
 * Reads a JSON request body of at most `limit` bytes. A declared length over the limit is refused
 * before reading; an undeclared one (chunked) is refused as soon as it passes the limit.
 */
export function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.resolve({ ok: false, reply: tooLarge(limit) });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve({ ok: false, reply: tooLarge(limit) });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve({ ok: false, reply: problem(400, 'request body is empty: send one JSON object') });
        return;
      }
      try {
        resolve({ ok: true, value: JSON.parse(text) });
      } catch (err) {
        resolve({
          ok: false,
          reply: problem(400, `request body is not valid JSON (${(err as Error).message})`),
        });
      }
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}
