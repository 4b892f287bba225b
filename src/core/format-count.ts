// Counts for people, `1,234,567`, without Intl: the first toLocaleString() of a process pages in
// ICU's locale data from the node binary, ~6 MB of resident memory, for a thousands separator
// (the edge bench file's HTML report: `dualscope analyze` peak RSS rose by that much).

/** An integer with commas between groups of three digits, as toLocaleString('en-US') writes it; anything else as String() does. */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}
