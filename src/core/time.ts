// Capture time. Integer microseconds since 1970 fit in a double exactly (2^53 µs ≈ 285 years);
// nanoseconds do not, so readers keep nanoseconds as a separate 0..999 remainder where the file has them.

/** Microseconds since 1970-01-01T00:00:00Z, always an integer. */
export type Micros = number;

export const MICROS_PER_SECOND = 1_000_000;

export const secondsToMicros = (s: number): Micros => Math.round(s * MICROS_PER_SECOND);
export const millisToMicros = (ms: number): Micros => Math.round(ms * 1000);
export const microsToSeconds = (t: Micros): number => t / MICROS_PER_SECOND;

/** `1591780863.847323` — the form Wireshark's frame.time_epoch uses, at µs precision. */
export function formatEpoch(t: Micros, extraNanos = 0): string {
  const sec = Math.floor(t / MICROS_PER_SECOND);
  const us = t - sec * MICROS_PER_SECOND;
  const frac = extraNanos ? String(us * 1000 + extraNanos).padStart(9, '0') : String(us).padStart(6, '0');
  return `${sec}.${frac}`;
}

/**
 * ISO 8601 with microseconds, UTC: `2020-06-10T09:21:03.847323Z`. Total: a time outside what a
 * Date holds (±275,760 years, or not a number) comes out as epoch seconds instead of throwing.
 */
export function formatIso(t: Micros): string {
  const ms = Math.floor(t / 1000);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return formatEpochTotal(t);
  const iso = date.toISOString(); // …T09:21:03.847Z
  const us = String(t - ms * 1000).padStart(3, '0');
  return `${iso.slice(0, -1)}${us}Z`;
}

/** formatEpoch for any number: non-integers are rounded, and what is not finite is printed as is. */
function formatEpochTotal(t: number): string {
  if (!Number.isFinite(t)) return String(t);
  // Beyond 2^53 the µs digits are not exact anyway (and beyond 10^21 toFixed writes an exponent).
  if (!Number.isSafeInteger(Math.round(t))) return (t / MICROS_PER_SECOND).toFixed(6);
  return formatEpoch(Math.round(t));
}

/** A duration for people: `830 µs`, `12.4 ms`, `5.01 s`. Total: what is not finite is printed as is. */
export function formatDuration(d: Micros): string {
  if (!Number.isFinite(d)) return `${d} µs`;
  const a = Math.abs(d);
  if (a < 1000) return `${d} µs`;
  if (a < 1_000_000) return `${(d / 1000).toFixed(a < 10_000 ? 2 : 1)} ms`;
  return `${(d / 1_000_000).toFixed(a < 10_000_000 ? 2 : 1)} s`;
}
