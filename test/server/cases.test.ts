// Cases in `serve`: captures of one incident taken at several points, uploaded one by one and
// then correlated as one case (POST /api/cases). Real lab captures of one run (the same-port drop
// seen at the client and at the resolver): the case gives what `dualscope correlate` gives on the
// files; hostile labels stay inert; bad requests get one clear answer and leave nothing behind.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correlateFiles } from '../../src/correlate/index.js';
import { CorrelatedReport } from '../../src/report/index.js';
import { MAX_CASE_POINTS } from '../../src/server/cases.js';
import { request, sample, settled, startTestServer } from './support/client.js';

const CLIENT = sample('same-port-drop-a-client.pcap');
const RESOLVER = sample('same-port-drop-a-resolver.pcap');
const UNRELATED = sample('pmtud-v6-blackhole-server.pcap');
const HOSTILE = '<img src=x onerror=window.__pwned=1>"resolver';

type Server = Awaited<ReturnType<typeof startTestServer>>;

describe('serve: several captures as one case', () => {
  let server: Server;
  const ids: Record<string, string> = {};

  const upload = async (file: string, name: string): Promise<string> => {
    const up = await request(`${server.url}/api/analyses?name=${encodeURIComponent(name)}`, { method: 'POST', body: readFileSync(file), headers: { 'Content-Type': 'application/octet-stream' } });
    expect(up.status, up.text).toBe(201);
    expect((await settled(server.url, up.json.id)).json.status).toBe('done');
    return up.json.id as string;
  };
  const createCase = (body: unknown): ReturnType<typeof request> =>
    request(`${server.url}/api/cases`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

  beforeAll(async () => {
    server = await startTestServer();
    ids.client = await upload(CLIENT, 'client.pcap');
    ids.resolver = await upload(RESOLVER, 'resolver.pcap');
    ids.unrelated = await upload(UNRELATED, 'elsewhere.pcap');
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it('correlates the uploaded captures into the report correlate gives on the files', async () => {
    const r = await createCase({ analyses: [ids.client, ids.resolver], labels: ['client', 'resolver'] });
    expect(r.status, r.text).toBe(201);
    expect(r.headers.location).toBe(`/api/cases/${r.json.id}`);
    expect(r.json.points.map((p: { label: string; analysis: string }) => [p.label, p.analysis])).toEqual([['client', ids.client], ['resolver', ids.resolver]]);

    const json = await request(`${server.url}/api/cases/${r.json.id}/report.json`);
    expect(json.status).toBe(200);
    const report = CorrelatedReport.parse(json.json);
    const direct = await correlateFiles([{ file: CLIENT, label: 'client' }, { file: RESOLVER, label: 'resolver' }]);
    const verdicts = (x: CorrelatedReport): string[] => x.findings.map((f) => `${f.kind} ${f.status} ${f.location ?? '-'} ${f.losses.length}`);
    expect(verdicts(report)).toEqual(verdicts(direct));
    expect(report.overlap.matchedPackets).toBe(direct.overlap.matchedPackets);
    const drop = report.findings.find((f) => f.kind === 'dns.same_port_reply_drop')!;
    expect(drop.status).toBe('proved');
    expect(drop.location).toBe('between resolver and client');
    // the server's file paths stay the server's: each point is shown by its label
    expect(report.points.map((p) => p.capture.file)).toEqual(['client', 'resolver']);
    expect(json.text).not.toContain(server.dataDir);

    const status = await request(`${server.url}/api/cases/${r.json.id}`);
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ id: r.json.id, findings: report.findings.length, counts: report.counts });

    const html = await request(`${server.url}/api/cases/${r.json.id}/report.html`);
    expect(html.status).toBe(200);
    const csp = String(html.headers['content-security-policy']);
    for (const d of ["default-src 'none'", "connect-src 'none'", "frame-ancestors 'none'", 'sandbox allow-scripts']) expect(csp).toContain(d);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  it('names points by their upload names when no labels are given, and says when captures do not overlap', async () => {
    const r = await createCase({ analyses: [ids.client, ids.unrelated] });
    expect(r.status, r.text).toBe(201);
    expect(r.json.points.map((p: { label: string }) => p.label)).toEqual(['client.pcap', 'elsewhere.pcap']);
    expect(r.json.overlap.matchedPackets).toBe(0);
    expect(r.json.overlap.note).toMatch(/do not overlap/);
  });

  it('keeps hostile labels inert, and two points never share a label', async () => {
    const r = await createCase({ analyses: [ids.client, ids.resolver], labels: [HOSTILE, `dir/${HOSTILE}`] });
    expect(r.status, r.text).toBe(201);
    expect(r.json.points.map((p: { label: string }) => p.label)).toEqual([HOSTILE, `${HOSTILE} (2)`]);
    const html = (await request(`${server.url}/api/cases/${r.json.id}/report.html`)).text;
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=window.__pwned=1&gt;&quot;resolver');
  });

  it('refuses bad requests with one clear answer, never echoing what is not an id, and stores nothing', async () => {
    const casesDir = join(server.dataDir, 'cases');
    const before = readdirSync(casesDir).length;
    const fake = 'AAAAAAAAAAAAAAAAAAAAAA';
    const cases: [unknown, number, RegExp][] = [
      ['{not json', 400, /must be JSON/],
      [[ids.client, ids.resolver], 400, /"analyses" must be a list/],
      [{ analyses: 'x' }, 400, /"analyses" must be a list/],
      [{ analyses: [ids.client] }, 400, /2 to 8 captures, not 1/],
      [{ analyses: Array.from({ length: MAX_CASE_POINTS + 1 }, () => ids.client) }, 400, /2 to 8 captures, not 9/],
      [{ analyses: [ids.client, '<script>alert(1)</script>'] }, 400, /not an analysis id/],
      [{ analyses: [ids.client, ids.client] }, 400, /listed twice/],
      [{ analyses: [ids.client, fake] }, 404, new RegExp(`no analysis ${fake}`)],
      [{ analyses: [ids.client, ids.resolver], labels: ['one'] }, 400, /one per capture/],
      [{ analyses: [ids.client, ids.resolver], labels: [1, 2] }, 400, /one per capture/],
    ];
    for (const [body, status, message] of cases) {
      const r = await createCase(body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.error, r.text).toMatch(message);
      expect(r.text).not.toContain('<script>');
    }
    expect((await request(`${server.url}/api/cases`, { method: 'POST', body: 'x'.repeat(64 * 1024) })).status).toBe(413);
    expect((await request(`${server.url}/api/cases`)).status).toBe(405);
    expect((await request(`${server.url}/api/cases/${fake}`)).status).toBe(404);
    expect((await request(`${server.url}/api/cases/..%2F..%2Fetc/report.json`)).status).toBe(404);
    expect(readdirSync(casesDir).length).toBe(before);
    expect(readdirSync(join(server.dataDir, 'tmp'))).toEqual([]);
  });
});
