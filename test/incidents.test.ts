// Incidents on real lab captures where one cause hits many clients (samples/lab/scenarios/
// same-port-drop-many-clients.sh, rfc6303-leak-many-hosts.sh): the lab's expected findings (one per
// lookup, samples/expected/*.json) all land in ONE incident, with the clients and names counted;
// every occurrence's evidence frames are reachable from the JSON and are the capture's own frames;
// ids are the same across files; the terminal stays a screenful per incident and --all lists all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../src/analyze.js';
import { Anomalies, formatIso } from '../src/core/index.js';
import { readCapture } from '../src/readers/index.js';
import { renderJson, renderText, Report } from '../src/report/index.js';

const SAMPLES = join(import.meta.dirname, '../samples');

interface Expected {
  mustFind: { kind: string; client: string; server: string; names: string[]; frames: number[] }[];
}
const expected = (capture: string): Expected => JSON.parse(readFileSync(join(SAMPLES, 'expected', capture.replace(/\.pcap(ng)?$/, '.json')), 'utf8')) as Expected;
const analyse = async (capture: string): Promise<Report> => Report.parse(JSON.parse(renderJson(await analyzeFile(join(SAMPLES, capture), { generatedAt: '2026-01-01T00:00:00.000Z' }))));

/** Frame number → capture time, straight from the file. */
async function framesOf(capture: string): Promise<Map<number, number>> {
  const frames = new Map<number, number>();
  await readCapture(join(SAMPLES, capture), (f) => frames.set(f.index, f.time), new Anomalies());
  return frames;
}

const CASES = [
  { capture: 'same-port-drop-many-clients-lan.pcap', kind: 'dns.same_port_reply_drop', id: 'dns.same_port_reply_drop@2001:db8:2::53', clients: 4, names: 2 },
  { capture: 'rfc6303-leak-many-hosts-resolver.pcap', kind: 'dns.local_zone_leak', id: 'dns.local_zone_leak@fd00:1::53/d.f.ip6.arpa.', clients: 5, names: 5 },
] as const;

describe('one cause, many clients: one incident', () => {
  for (const c of CASES) {
    describe(c.capture, () => {
      it('holds every occurrence the lab expects, with its client, names and frames', async () => {
        const report = await analyse(c.capture);
        const exp = expected(c.capture);
        const incidents = report.findings.filter((f) => f.kind === c.kind);
        expect(incidents.map((i) => i.id)).toEqual([c.id]);
        const incident = incidents[0]!;
        expect(incident.count).toBe(exp.mustFind.length);
        expect(incident.occurrences).toHaveLength(exp.mustFind.length);
        expect(incident.clients.count).toBe(c.clients);
        expect(incident.nameTally.count).toBe(c.names);
        expect(incident.client).toBeUndefined();
        // each expected lookup is one occurrence, and the lab's frames are in its evidence
        const unmatched = [...incident.occurrences];
        for (const want of exp.mustFind) {
          const i = unmatched.findIndex((o) => o.client === want.client && o.server === want.server && want.names.every((n) => o.names.includes(n)));
          expect(i, `${want.client} ${want.names.join(',')}`).toBeGreaterThanOrEqual(0);
          const frames = new Set(unmatched[i]!.evidence.map((e) => e.frame));
          for (const f of want.frames) expect(frames.has(f), `frame ${f} of ${want.client} ${want.names.join(',')}`).toBe(true);
          unmatched.splice(i, 1);
        }
        expect(unmatched).toEqual([]);
        // the clients tally adds up to the occurrences
        expect(incident.clients.top.reduce((s, r) => s + r.occurrences, 0)).toBe(incident.count);
        // many clients hit the same way: the group is more certain than one lookup alone
        expect(incident.confidence.level).toBe('high');
        expect(incident.delay.measured).toBe(incident.count);
        expect(incident.delay.medianMicros).toBeGreaterThan(1_500_000);
      });

      it("every occurrence's evidence frames are reachable from the JSON, at the capture's own frame times", async () => {
        const report = await analyse(c.capture);
        const frames = await framesOf(c.capture);
        let checked = 0;
        for (const incident of report.findings) {
          const ids = new Set(incident.occurrences.map((o) => o.id));
          for (const r of Object.values(incident.representatives)) expect(ids.has(r)).toBe(true);
          for (const o of incident.occurrences) {
            expect(o.evidence.length).toBeGreaterThan(0);
            for (const e of o.evidence) {
              expect(frames.get(e.frame), `frame ${e.frame} of ${o.id}`).toBe(e.time);
              checked++;
            }
          }
          // the incident's own evidence is drawn from its occurrences
          const all = new Set(incident.occurrences.flatMap((o) => o.evidence.map((e) => e.frame)));
          for (const e of incident.evidence) expect(all.has(e.frame)).toBe(true);
        }
        expect(checked).toBeGreaterThan(20);
        // and the timeline has a lane for the incident
        expect(report.timeline.lanes.some((l) => l.findingIds.includes(c.id))).toBe(true);
      });

      it('prints at most a screenful per incident; --all lists every occurrence', async () => {
        const report = await analyse(c.capture);
        const text = renderText(report);
        const blocks = text.split('\n\n').slice(2); // capture facts, the count line, then one block per incident
        expect(blocks).toHaveLength(report.findings.length);
        for (const b of blocks) expect(b.split('\n').length).toBeLessThanOrEqual(60);
        const all = renderText(report, { all: true });
        const incident = report.findings.find((f) => f.id === c.id)!;
        // one line per occurrence, within 80 columns, in the incident's order, each naming its first frame
        for (const l of all.split('\n')) expect([...l].length, l).toBeLessThanOrEqual(80);
        const block = all.split('\n\n').find((b) => b.includes(`[${incident.id}]`))!;
        const listed = block.split('\n').filter((l) => /^ {4}\d\d:\d\d:\d\d\.\d{3}[ :].*frames \d/.test(l));
        expect(listed).toHaveLength(incident.count);
        incident.occurrences.forEach((o, i) => {
          expect(listed[i]!.startsWith(`    ${formatIso(o.start).slice(11, 23)}`), listed[i]).toBe(true);
          const frames = o.evidence.map((e) => e.frame);
          expect(listed[i]).toMatch(new RegExp(`frames ${frames[0]}( [\\d ]+)?( \\(\\+\\d+\\))?;`));
          const cut = /\(\+(\d+)\)/.exec(listed[i]!);
          const shown = listed[i]!.slice(listed[i]!.indexOf('frames ') + 7).split(/[;(]/)[0]!.trim().split(' ').map(Number);
          expect(shown).toEqual(frames.slice(0, shown.length));
          expect(shown.length + (cut ? Number(cut[1]) : 0)).toBe(frames.length);
        });
      });
    });
  }

  it('names one cause with one id across the files of a batch', async () => {
    const one = await analyse('rfc6303-leak-resolver.pcap');
    const many = await analyse('rfc6303-leak-many-hosts-resolver.pcap');
    const id = 'dns.local_zone_leak@fd00:1::53/d.f.ip6.arpa.';
    expect(one.findings.filter((f) => f.kind === 'dns.local_zone_leak').map((f) => f.id)).toEqual([id]);
    expect(many.findings.filter((f) => f.kind === 'dns.local_zone_leak').map((f) => f.id)).toEqual([id]);
    // and the same file analysed twice gives the same report
    expect(renderJson(await analyse('same-port-drop-many-clients-lan.pcap'))).toBe(renderJson(await analyse('same-port-drop-many-clients-lan.pcap')));
  });
});
