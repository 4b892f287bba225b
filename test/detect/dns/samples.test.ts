// Every sample capture in samples/ through readers → PacketDecoder → DnsReconstructor → the DNS
// detectors, checked against samples/expected/NAME.json (written by the lab, not by dualscope).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDns } from '../../reconstruct/dns/pipeline.js';

const SAMPLES = 'samples';
const EXPECTED = join(SAMPLES, 'expected');

interface Range { min: number; max: number }
interface MustFind {
  kind: string;
  client?: string;
  server?: string;
  clientPort?: number;
  names?: string[];
  details?: Record<string, unknown>;
  delayMicros?: Range;
  frames?: number[];
}
interface Expected { capture: string; mustFind: MustFind[]; mustNotFind: string[]; mayFind?: string[] }

interface Disagreement { expected: string; kind: string; name: string; detail: string; lab: unknown; ours: unknown; reason: string }
/** Where dualscope knowingly reports something else than the lab wrote, with the reason. */
const disagreements = JSON.parse(readFileSync(new URL('./sample-disagreements.json', import.meta.url), 'utf8')) as Disagreement[];

const expectedFiles = existsSync(EXPECTED) ? readdirSync(EXPECTED).filter((f) => f.endsWith('.json')).sort() : [];
const isDns = (kind: string): boolean => kind.startsWith('dns.');

function matches(f: { kind: string; client?: string; server?: string; names: string[]; details: Record<string, unknown>; impact: { delayMicros?: number }; evidence: { frame: number }[] }, m: MustFind): string[] {
  const why: string[] = [];
  if (f.kind !== m.kind) return ['kind'];
  if (m.client !== undefined && f.client !== m.client) why.push(`client ${f.client}`);
  if (m.server !== undefined && f.server !== m.server) why.push(`server ${f.server}`);
  if (m.clientPort !== undefined && f.details.clientPort !== m.clientPort) why.push(`clientPort ${String(f.details.clientPort)}`);
  for (const n of m.names ?? []) if (!f.names.map((x) => x.toLowerCase()).includes(n.toLowerCase())) why.push(`name ${n}`);
  for (const [k, v] of Object.entries(m.details ?? {})) {
    const got = f.details[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'min' in v) {
      const r = v as Range;
      if (typeof got !== 'number' || got < r.min || got > r.max) why.push(`details.${k} ${String(got)} not in ${r.min}..${r.max}`);
    } else if (JSON.stringify(got) !== JSON.stringify(v)) {
      why.push(`details.${k} ${JSON.stringify(got)} ≠ ${JSON.stringify(v)}`);
    }
  }
  if (m.delayMicros !== undefined) {
    const d = f.impact.delayMicros;
    if (d === undefined || d < m.delayMicros.min || d > m.delayMicros.max) why.push(`delay ${String(d)} not in ${m.delayMicros.min}..${m.delayMicros.max}`);
  }
  const frames = new Set(f.evidence.map((e) => e.frame));
  for (const fr of m.frames ?? []) if (!frames.has(fr)) why.push(`frame ${fr} not in evidence`);
  return why;
}

describe.skipIf(expectedFiles.length === 0)('DNS findings on samples/', () => {
  it.each(expectedFiles)('%s', async (file) => {
    const exp = JSON.parse(readFileSync(join(EXPECTED, file), 'utf8')) as Expected;
    const { findings } = await runDns(join(SAMPLES, exp.capture));
    const dns = findings.filter((f) => isDns(f.kind));
    for (const m0 of exp.mustFind.filter((x) => isDns(x.kind))) {
      let m = m0;
      const dis = disagreements.find((d) => d.expected === file && d.kind === m0.kind && (m0.names ?? []).includes(d.name));
      if (dis !== undefined) {
        expect(m0.details?.[dis.detail], `${file}: the lab value changed; revisit the disagreement`).toEqual(dis.lab);
        // The disagreement still exists: with the lab's value nothing matches.
        expect(dns.some((f) => matches(f, m0).length === 0), `${file}: disagreement on ${dis.detail} no longer exists`).toBe(false);
        m = { ...m0, details: { ...m0.details, [dis.detail]: dis.ours } };
      }
      const candidates = dns.filter((f) => f.kind === m.kind);
      const reasons = candidates.map((f) => `${f.id}: ${matches(f, m).join(', ')}`);
      expect(candidates.some((f) => matches(f, m).length === 0), `${m.kind} ${JSON.stringify(m.names)} not found; candidates: ${reasons.join(' | ') || 'none'}`).toBe(true);
    }
    for (const kind of exp.mustNotFind.filter(isDns)) {
      expect(dns.filter((f) => f.kind === kind).map((f) => f.summary), `${kind} must not be found`).toEqual([]);
    }
    // Kinds neither required nor allowed stay silent too.
    const allowed = new Set([...exp.mustFind.map((m) => m.kind), ...(exp.mayFind ?? [])]);
    expect(dns.filter((f) => !allowed.has(f.kind)).map((f) => `${f.kind}: ${f.summary}`)).toEqual([]);
    // Every finding satisfies the contract.
    const { Finding } = await import('../../../src/detect/finding.js');
    for (const f of dns) expect(() => Finding.parse(f)).not.toThrow();
  });
});
