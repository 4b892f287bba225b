// Annotated hex for tests (STYLE.md "Tests read like captures"): whitespace is ignored and
// `// …` runs to the end of the line, so each line can say what its bytes are.
//   const udp = hex`
//     9c40 0035 000c 0000   // udp: 40000 → 53, length 12, no checksum
//     dead beef             // payload
//   `;
// Interpolated values are spliced in as hex text or Buffers, so builders can compose fixtures.

export function hex(strings: TemplateStringsArray, ...values: ReadonlyArray<string | number | Buffer>): Buffer {
  let text = '';
  strings.forEach((s, i) => {
    text += s;
    if (i < values.length) {
      const v = values[i]!;
      text += Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'number' ? v.toString(16).padStart(2, '0') : v;
    }
  });
  const digits = text
    .split('\n')
    .map((line) => { const c = line.indexOf('//'); return c >= 0 ? line.slice(0, c) : line; })
    .join('')
    .replace(/\s+/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length % 2 !== 0) throw new Error(`hex: not an even run of hex digits: ${digits}`);
  return Buffer.from(digits, 'hex');
}

/** A tiny seeded PRNG (mulberry32) so mutation tests are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` copies of `b`, each with 1–4 random bytes overwritten (and sometimes cut short). */
export function mutations(b: Buffer, count: number, seed = 1): Buffer[] {
  const rnd = seeded(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const m = Buffer.from(b);
    const n = 1 + Math.floor(rnd() * 4);
    for (let j = 0; j < n; j++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
    out.push(rnd() < 0.2 ? m.subarray(0, Math.floor(rnd() * m.length)) : m);
  }
  return out;
}
