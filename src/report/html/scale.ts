// The timeline's one scale: linear, from relative capture time (µs) to pixels, and its axis ticks.
// The arithmetic is d3-scale's linear scale and d3-array's ticks (the library that drew the page
// before), operation for operation, so every coordinate in the page is the same number as before.

export interface LinearScale {
  (value: number): number;
  /** About `count` round values (1, 2 or 5 times a power of ten apart) inside the domain, in order. */
  ticks(count: number): number[];
}

/** Maps [d0, d1] onto [r0, r1], extending linearly outside (no clamping). */
export function linearScale(d0: number, d1: number, r0: number, r1: number): LinearScale {
  const span = d1 - d0;
  // The interpolation d3 uses, r0·(1−t) + r1·t, rather than r0 + (r1−r0)·t: the same value to the last bit.
  const scale = ((v: number): number => {
    const t = span ? (v - d0) / span : 0.5;
    return r0 * (1 - t) + r1 * t;
  }) as LinearScale;
  scale.ticks = (count: number): number[] => ticks(d0, d1, count);
  return scale;
}

// Tick steps: the raw step (span / count) rounded to 1, 2, 5 or 10 times its power of ten, at the
// geometric midpoints between them.
const TO_10 = Math.sqrt(50);
const TO_5 = Math.sqrt(10);
const TO_2 = Math.sqrt(2);

/** [first, last, step]: ticks are first..last times step, or divided by −step when step < 0 (exact for fractions). */
function tickSpec(start: number, stop: number, count: number): [number, number, number] {
  const step = (stop - start) / Math.max(0, count);
  const power = Math.floor(Math.log10(step));
  const error = step / Math.pow(10, power);
  const factor = error >= TO_10 ? 10 : error >= TO_5 ? 5 : error >= TO_2 ? 2 : 1;
  let first: number;
  let last: number;
  let inc: number;
  if (power < 0) {
    inc = Math.pow(10, -power) / factor;
    first = Math.round(start * inc);
    last = Math.round(stop * inc);
    if (first / inc < start) ++first;
    if (last / inc > stop) --last;
    inc = -inc;
  } else {
    inc = Math.pow(10, power) * factor;
    first = Math.round(start / inc);
    last = Math.round(stop / inc);
    if (first * inc < start) ++first;
    if (last * inc > stop) --last;
  }
  if (last < first && 0.5 <= count && count < 2) return tickSpec(start, stop, count * 2);
  return [first, last, inc];
}

function ticks(start: number, stop: number, count: number): number[] {
  if (!(count > 0)) return [];
  if (start === stop) return [start];
  const reverse = stop < start;
  const [first, last, inc] = reverse ? tickSpec(stop, start, count) : tickSpec(start, stop, count);
  if (!(last >= first)) return [];
  const n = last - first + 1;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const k = reverse ? last - i : first + i;
    out[i] = inc < 0 ? k / -inc : k * inc;
  }
  return out;
}
