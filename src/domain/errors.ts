/**
 * The error catalog: every error DataServer raises on purpose has a stable `code`
 * (for logs, metrics and status payloads) and keeps what caused it in `cause`.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'Configuration is invalid',
  CONFIG_UNREADABLE: 'Configuration file cannot be read',
  UPSTREAM_CONNECT_FAILED: 'Upstream connection failed',
  UPSTREAM_CLOSED: 'Upstream connection closed',
  UPSTREAM_STALE: 'Upstream sent nothing for too long',
  UPSTREAM_REJECTED: 'Upstream rejected a request',
  UPSTREAM_BAD_FRAME: 'Upstream frame could not be understood',
  UNKNOWN_DIALECT: 'No connector for this source kind',
  USAGE: 'Bad command-line usage',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class DataServerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code], options);
    this.name = 'DataServerError';
    this.code = code;
  }
}

/** A short text for any thrown value, for status payloads and logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
