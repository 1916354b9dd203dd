/**
 * The Generic Cell Rate Algorithm as one pure step, shared by the memory backend and mirrored
 * by the Redis script. State per key is one number, the theoretical arrival time (TAT): when
 * the bucket would be empty if units kept arriving at exactly the rate. A unit is allowed
 * when, after adding it, the TAT is at most `burst` emission intervals ahead of now.
 */
const EPSILON_MS = 1e-6;

export interface GcraStep {
  readonly allowed: boolean;
  /** The TAT to store when allowed (unchanged state on refusal). */
  readonly tat: number;
  /** Units left after this one (0 on refusal). */
  readonly remaining: number;
  /** Milliseconds until one unit fits again (0 when allowed). */
  readonly retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
}

/** One GCRA decision for a unit arriving at `now`, given the stored TAT (undefined: never used or expired). */
export function gcraStep(storedTat: number | undefined, now: number, emissionMs: number, burst: number): GcraStep {
  const tat = storedTat === undefined || storedTat < now ? now : storedTat;
  const next = tat + emissionMs;
  const tolerance = emissionMs * burst;
  const allowAt = next - tolerance;
  // Fractional intervals (1000/3 ms) drift by a few ulps as they add up: never refuse for that.
  if (now < allowAt - EPSILON_MS) {
    return { allowed: false, tat, remaining: 0, retryAfterMs: allowAt - now, resetMs: tat - now };
  }
  return { allowed: true, tat: next, remaining: Math.floor((tolerance - (next - now)) / emissionMs + EPSILON_MS), retryAfterMs: 0, resetMs: next - now };
}
