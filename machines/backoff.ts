/** Retry policy of a connector (CONTRACT §2 `sources[].backoff`). */
export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  /** Fraction of the delay that is randomized (0 = none, 1 = full jitter). */
  jitter: number;
  /** Consecutive failed attempts after which the connector gives up (`failed`); absent = never. */
  maxAttempts?: number | undefined;
}

/**
 * Delay before retry number `attempt` (1-based): `initialDelayMs × multiplier^(attempt-1)`,
 * capped at `maxDelayMs`, then "equal jitter" on the `jitter` fraction: the delay is drawn
 * uniformly from `[d × (1 − jitter), d]`, so retries never bunch up and never exceed the cap.
 * `random` is a number in [0, 1).
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** exponent);
  return Math.round(base * (1 - policy.jitter * random));
}
