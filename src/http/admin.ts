import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { problem, type Reply } from './respond.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Constant-time token comparison. Both sides are hashed first so the comparison always runs over
 * 32 bytes: neither a length mismatch nor a matching prefix shows in the response time.
 */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Admin routes need `Authorization: Bearer <http.adminToken>`. Without a configured token they are
 * off for everyone (403, CONTRACT §2); with one, a missing or wrong token is 401.
 * Returns the refusal, or null when the caller may proceed.
 */
export function refuseUnlessAdmin(req: IncomingMessage, adminToken: string): Reply | null {
  if (adminToken === '') {
    return problem(403, 'admin routes are disabled: http.adminToken is not set');
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  const challenge = { 'www-authenticate': 'Bearer realm="dataserver"' };
  if (!match?.[1]) return problem(401, 'admin token required: Authorization: Bearer <token>', {}, challenge);
  if (!tokensEqual(match[1], adminToken)) return problem(401, 'wrong admin token', {}, challenge);
  return null;
}
