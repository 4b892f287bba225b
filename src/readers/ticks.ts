// pcapng timestamps are 64-bit tick counts at a per-interface rate (if_tsresol). Nanosecond ticks
// since 1970 pass 2^53, so a double cannot hold them: split exactly into seconds and a remainder.
import type { Micros } from '../core/index.js';

/** Where the conversion writes its result (one reused object: no allocation per frame). */
export interface TimeOut {
  micros: Micros;
  nanos: number;
}

const TWO_32 = 4_294_967_296;
/** Below this many µs ticks, high·2^32 + low is exact in a double (2^53). */
const FAST_HIGH_LIMIT = 0x200000;

/**
 * Ticks (high and low 32-bit words) at `perSecond` ticks per second, plus `offsetSeconds`
 * (if_tsoffset), to µs + ns remainder. Sub-nanosecond fractions are truncated, as Wireshark does.
 * `nsPerTick` is 1e9 / perSecond when that is an integer, else 0.
 */
export function ticksToTime(high: number, low: number, perSecond: number, nsPerTick: number, offsetSeconds: number, out: TimeOut): void {
  if (perSecond === 1_000_000 && high < FAST_HIGH_LIMIT) {
    out.micros = high * TWO_32 + low + offsetSeconds * 1_000_000;
    out.nanos = 0;
    return;
  }
  let sec: number;
  let ns: number;
  if (perSecond <= 0xffffffff) {
    // Long division by 16-bit limbs: the running remainder is below perSecond < 2^32, so every
    // intermediate stays below 2^48 and exact.
    let r = 0;
    let q = 0;
    let cur = (high >>> 16);
    let d = Math.floor(cur / perSecond); r = cur - d * perSecond; q = d;
    cur = r * 65536 + (high & 0xffff);
    d = Math.floor(cur / perSecond); r = cur - d * perSecond; q = q * 65536 + d;
    cur = r * 65536 + (low >>> 16);
    d = Math.floor(cur / perSecond); r = cur - d * perSecond; q = q * 65536 + d;
    cur = r * 65536 + (low & 0xffff);
    d = Math.floor(cur / perSecond); r = cur - d * perSecond; q = q * 65536 + d;
    sec = q;
    if (nsPerTick !== 0) ns = r * nsPerTick;
    else if (r * 1e9 <= Number.MAX_SAFE_INTEGER) ns = Math.floor((r * 1e9) / perSecond);
    else ns = Number((BigInt(r) * 1_000_000_000n) / BigInt(perSecond));
  } else {
    // Finer than 2^-32 s (if_tsresol 10 and up, or 2^-33 …): rare enough for BigInt.
    const t = (BigInt(high) << 32n) | BigInt(low);
    const p = BigInt(perSecond);
    sec = Number(t / p);
    ns = Number(((t % p) * 1_000_000_000n) / p);
  }
  const nanos = ns % 1000;
  out.micros = (sec + offsetSeconds) * 1_000_000 + (ns - nanos) / 1000;
  out.nanos = nanos;
}

/** if_tsresol (pcapng §4.2): bit 7 clear → 10^-n s, set → 2^-n s. Undefined if out of range. */
export function tsresolToPerSecond(v: number): number | undefined {
  const n = v & 0x7f;
  if (v & 0x80) return n <= 63 ? 2 ** n : undefined;
  return n <= 18 ? 10 ** n : undefined;
}

/** 1e9 / perSecond when it is a whole number (µs, ms, ns …), else 0. */
export function nsPerTickOf(perSecond: number): number {
  const q = 1e9 / perSecond;
  return Number.isInteger(q) ? q : 0;
}
