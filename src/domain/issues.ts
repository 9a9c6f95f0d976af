import type { ZodError } from 'zod';

/**
 * The first problem of a failed zod parse as `{ key, message }`, with the key written the way a
 * user writes it (`sources[0].backoff.multiplier`), and an unknown key named by itself.
 */
export function firstIssue(error: ZodError): { key: string; message: string; more: number } | undefined {
  const issue = error.issues[0];
  if (!issue) return undefined;
  const unknown = issue.code === 'unrecognized_keys';
  const path = unknown ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const key = path.reduce<string>(
    (acc, part) =>
      typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
    '',
  );
  return {
    key: key || '(root)',
    message: unknown ? 'unknown key (a typo?)' : issue.message,
    more: error.issues.length - 1,
  };
}
