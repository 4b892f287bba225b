// Internet checksums (RFC 1071), recomputed whole when the datagram is all there, and updated
// incrementally (RFC 1624) when the capture holds only part of it (snaplen, a first fragment):
// the bytes the capture lacks are unchanged, so the difference between the old and new sums of
// the bytes it holds is the difference of the whole.

/** One's-complement sum (not folded past 32 bits often enough to overflow) of b[start, end), big-endian words from `start`. */
export function sum16(b: Buffer, start: number, end: number, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

export function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return x;
}

/** The pseudo-header sum (RFC 768 / RFC 8200 §8.1): addresses, upper-layer length, protocol. */
export function pseudoHeaderSum(b: Buffer, srcOff: number, addrLen: 4 | 16, protocol: number, length: number): number {
  // Source and destination are adjacent in both IPv4 (12, 16) and IPv6 (8, 24).
  let s = sum16(b, srcOff, srcOff + 2 * addrLen);
  s += protocol;
  s += (length >>> 16) + (length & 0xffff);
  return s;
}

/** Writes the checksum of a whole message at `at` (the field counted as zero). */
export function writeFullChecksum(b: Buffer, start: number, end: number, at: number, pseudo: number, zeroMeansNone: boolean): void {
  b.writeUInt16BE(0, at);
  let c = ~fold(sum16(b, start, end, pseudo)) & 0xffff;
  // UDP: a computed 0 is sent as 0xffff, since 0 means "no checksum" (RFC 768).
  if (c === 0 && zeroMeansNone) c = 0xffff;
  b.writeUInt16BE(c, at);
}

/**
 * Adjusts the checksum at `at` for a change of the covered bytes from sum `before` to `after`
 * (both computed with the checksum field as zero; pseudo-header included).
 */
export function adjustChecksum(b: Buffer, at: number, before: number, after: number, zeroMeansNone: boolean): void {
  const old = b.readUInt16BE(at);
  if (old === 0 && zeroMeansNone) return; // no checksum was sent: none to keep right
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
  const m = fold(before);
  const m2 = fold(after);
  let c = ~fold((~old & 0xffff) + (~m & 0xffff) + m2) & 0xffff;
  if (c === 0 && zeroMeansNone) c = 0xffff;
  b.writeUInt16BE(c, at);
}
