// Cases in `serve`: captures of one incident taken at several points, uploaded one by one and
// then correlated as one case (POST /api/cases). Real lab captures of one run (the same-port drop
// seen at the client and at the resolver): the case gives what `dualscope correlate` gives on the
// files; hostile labels stay inert; bad requests get one clear answer and leave nothing behind;
// cases are listed, deleted, and deleted with any analysis they use (never left pointing at a
// capture that is gone).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correlateFiles } from '../../src/correlate/index.js';
import { CorrelatedReport } from '../../src/report/correlation/index.js';
import { MAX_CASE_POINTS } from '../../src/server/cases.js';
import { Store } from '../../src/server/store.js';
import { eventually, pieces, request, sample, settled, sleep, startTestServer } from './support/client.js';

const CLIENT = sample('same-port-drop-a-client.pcap');
const RESOLVER = sample('same-port-drop-a-resolver.pcap');
const UNRELATED = sample('pmtud-v6-blackhole-server.pcap');
const HOSTILE = '<img src=x onerror=window.__pwned=1>"resolver';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const uploadTo = async (server: Server, file: string, name: string): Promise<string> => {
  const up = await request(`${server.url}/api/analyses?name=${encodeURIComponent(name)}`, { method: 'POST', body: readFileSync(file), headers: { 'Content-Type': 'application/octet-stream' } });
  expect(up.status, up.text).toBe(201);
  expect((await settled(server.url, up.json.id)).json.status).toBe('done');
  return up.json.id as string;
};
const postCase = (server: Server, body: unknown): ReturnType<typeof request> =>
  request(`${server.url}/api/cases`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

/** The server's event stream, collected: `{event, data}` in arrival order. */
function listen(server: Server): { events: { event: string; data: any }[]; close(): void } {
  const events: { event: string; data: any }[] = [];
  const req = httpRequest(`${server.url}/api/events`);
  req.on('response', (res) => {
    let buf = '';
    res.on('data', (c: Buffer) => {
      buf += c.toString();
      for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const ev = /^event: (.*)$/m.exec(block);
        const data = /^data: (.*)$/m.exec(block);
        if (ev && data) events.push({ event: ev[1]!, data: JSON.parse(data[1]!) });
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { events, close: () => req.destroy() };
}

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
    // Parsed as a browser parses it, the labels are the same text, and no element came from them.
    const doc = new JSDOM(html).window.document;
    expect(doc.querySelectorAll('img').length).toBe(0);
    expect([...doc.querySelectorAll('#points tr td:first-child')].map((td) => td.textContent)).toEqual([HOSTILE, `${HOSTILE} (2)`]);
    expect(doc.title).toBe(`dualscope correlation: ${HOSTILE} + ${HOSTILE} (2)`);
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
    expect((await request(`${server.url}/api/cases`, { method: 'PUT' })).status).toBe(405);
    expect((await request(`${server.url}/api/cases/${fake}/report.html`, { method: 'DELETE' })).status).toBe(405);
    expect((await request(`${server.url}/api/cases?limit=0`)).status).toBe(400);
    expect((await request(`${server.url}/api/cases?before=%3Cx%3E`)).status).toBe(400);
    expect((await request(`${server.url}/api/cases/${fake}`, { method: 'DELETE' })).status).toBe(404);
    expect((await request(`${server.url}/api/cases/${fake}`)).status).toBe(404);
    expect((await request(`${server.url}/api/cases/..%2F..%2Fetc/report.json`)).status).toBe(404);
    expect(readdirSync(casesDir).length).toBe(before);
    expect(readdirSync(join(server.dataDir, 'tmp'))).toEqual([]);
  });
});

describe('serve: listing cases, and what deleting does to them', () => {
  let server: Server;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer();
    ids.client = await uploadTo(server, CLIENT, 'client.pcap');
    ids.resolver = await uploadTo(server, RESOLVER, 'resolver.pcap');
    ids.other = await uploadTo(server, UNRELATED, 'elsewhere.pcap');
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  const caseFiles = (): string[] => readdirSync(join(server.dataDir, 'cases')).sort();

  it('lists cases newest first, in pages', async () => {
    const made: string[] = [];
    for (const pair of [[ids.client, ids.resolver], [ids.client, ids.other], [ids.resolver, ids.other]]) {
      const r = await postCase(server, { analyses: pair });
      expect(r.status, r.text).toBe(201);
      made.push(r.json.id);
    }
    const all = await request(`${server.url}/api/cases`);
    expect(all.status).toBe(200);
    expect(all.json.cases.map((c: { id: string }) => c.id)).toEqual([...made].reverse());
    expect(all.json.next).toBeNull();
    expect(all.json.cases[2]).toMatchObject({ id: made[0], points: [{ label: 'client.pcap', analysis: ids.client }, { label: 'resolver.pcap', analysis: ids.resolver }] });
    const first = await request(`${server.url}/api/cases?limit=2`);
    expect(first.json.cases.map((c: { id: string }) => c.id)).toEqual([made[2], made[1]]);
    const second = await request(`${server.url}/api/cases?limit=2&before=${encodeURIComponent(first.json.next)}`);
    expect(second.json.cases.map((c: { id: string }) => c.id)).toEqual([made[0]]);
    expect(second.json.next).toBeNull();
    expect(caseFiles()).toEqual(made.flatMap((id) => [`${id}.html`, `${id}.json`]).sort());
  });

  it('DELETE /api/cases/ID removes the case and its reports, keeps its analyses, and tells open pages', async () => {
    const stream = listen(server);
    try {
      await sleep(100);
      const r = await postCase(server, { analyses: [ids.client, ids.resolver], labels: ['c', 'r'] });
      expect(r.status).toBe(201);
      await eventually(() => expect(stream.events.some((e) => e.event === 'case' && e.data.id === r.json.id)).toBe(true));
      expect((await request(`${server.url}/api/cases/${r.json.id}`, { method: 'DELETE' })).status).toBe(204);
      await eventually(() => expect(stream.events).toContainEqual({ event: 'case-deleted', data: { id: r.json.id } }));
      for (const what of ['', '/report.html', '/report.json']) expect((await request(`${server.url}/api/cases/${r.json.id}${what}`)).status).toBe(404);
      expect((await request(`${server.url}/api/cases/${r.json.id}`, { method: 'DELETE' })).status).toBe(404);
      expect(caseFiles().filter((f) => f.startsWith(r.json.id))).toEqual([]);
      for (const id of [ids.client, ids.resolver]) expect((await request(`${server.url}/api/analyses/${id}`)).json.status).toBe('done');
    } finally {
      stream.close();
    }
  });

  it('deleting an analysis deletes every case that uses it (not the others), with an event for each', async () => {
    const before = (await request(`${server.url}/api/cases`)).json.cases as { id: string; points: { analysis: string }[] }[];
    const using = before.filter((c) => c.points.some((p) => p.analysis === ids.other)).map((c) => c.id);
    const notUsing = before.filter((c) => !using.includes(c.id)).map((c) => c.id);
    expect(using.length).toBe(2);
    expect(notUsing.length).toBe(1);
    const stream = listen(server);
    try {
      await sleep(100);
      expect((await request(`${server.url}/api/analyses/${ids.other}`, { method: 'DELETE' })).status).toBe(204);
      await eventually(() => expect(stream.events.filter((e) => e.event === 'case-deleted').map((e) => e.data.id).sort()).toEqual([...using].sort()));
    } finally {
      stream.close();
    }
    for (const id of using) {
      for (const what of ['', '/report.html', '/report.json']) expect((await request(`${server.url}/api/cases/${id}${what}`)).status).toBe(404);
    }
    expect((await request(`${server.url}/api/cases`)).json.cases.map((c: { id: string }) => c.id)).toEqual(notUsing);
    expect(caseFiles()).toEqual(notUsing.flatMap((id) => [`${id}.html`, `${id}.json`]).sort());
    // A case naming the deleted analysis is refused like any unknown id.
    expect((await postCase(server, { analyses: [ids.client, ids.other] })).status).toBe(404);
  });

  it('an analysis deleted while its case is being correlated leaves no case, whichever finishes first', async () => {
    const victim = await uploadTo(server, RESOLVER, 'short-lived.pcap');
    const creating = postCase(server, { analyses: [ids.client, victim] });
    await sleep(5);
    expect((await request(`${server.url}/api/analyses/${victim}`, { method: 'DELETE' })).status).toBe(204);
    const r = await creating;
    // 404: deleted before the request was checked; 409: during the correlation; 201: after it (then the case went with it).
    expect([201, 404, 409], r.text).toContain(r.status);
    if (r.status === 409) expect(r.json.error).toMatch(/was deleted while the case was being correlated; nothing was kept/);
    const listed = (await request(`${server.url}/api/cases`)).json.cases as { points: { analysis: string }[] }[];
    expect(listed.filter((c) => c.points.some((p) => p.analysis === victim))).toEqual([]);
    expect(readdirSync(join(server.dataDir, 'tmp'))).toEqual([]);
    expect(caseFiles().length).toBe(listed.length * 2);
  });
});

describe('serve: cases of captures not ready, failed or unreadable, and busy workers', () => {
  let server: Server;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer({ workers: 1, uploadIdleMs: 20_000 });
    ids.client = await uploadTo(server, CLIENT, 'client.pcap');
    ids.resolver = await uploadTo(server, RESOLVER, 'resolver.pcap');
    ids.broken = await uploadTo(server, UNRELATED, 'broken.pcap');
    ids.failed = await uploadTo(server, UNRELATED, 'failed.pcap');
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it('409 for a capture still arriving, 503 while the only worker is busy with it', async () => {
    // An upload that arrives slowly: listed (it is a capture) but not stored, and holding the one worker.
    const slow = request(`${server.url}/api/analyses?name=slow.pcap`, { method: 'POST', body: pieces(readFileSync(CLIENT), 20), pauseMs: 150, headers: { 'Content-Type': 'application/octet-stream' } });
    const arriving = await eventually(async () => {
      const list = (await request(`${server.url}/api/analyses`)).json.analyses as { id: string; name: string; stored: boolean }[];
      const a = list.find((x) => x.name === 'slow.pcap');
      expect(a?.stored).toBe(false);
      return a!.id;
    }, 10_000);
    const notYet = await postCase(server, { analyses: [ids.client, arriving] });
    expect(notYet.status).toBe(409);
    expect(notYet.json.error).toBe(`analysis ${arriving} has no stored capture yet (its upload is still arriving)`);
    const busy = await postCase(server, { analyses: [ids.client, ids.resolver] });
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('5');
    expect(busy.json.error).toMatch(/every worker is busy/);
    expect((await slow).status).toBe(201);
    // Once the worker is free the same case is made.
    await eventually(async () => expect((await postCase(server, { analyses: [ids.client, ids.resolver] })).status).toBe(201), 30_000);
  }, 60_000);

  it('422 for an analysis that failed, naming it and its reason', async () => {
    server.store.fail(ids.failed, 'not a usable capture: <b>damaged</b>');
    const r = await postCase(server, { analyses: [ids.client, ids.failed] });
    expect(r.status).toBe(422);
    expect(r.json.error).toBe(`analysis ${ids.failed} failed (not a usable capture: <b>damaged</b>); it cannot be correlated`);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
  });

  it('422 for a stored capture that cannot be read, and nothing kept', async () => {
    writeFileSync(server.store.capturePath(ids.broken), 'this is not a capture any more\n');
    const before = readdirSync(join(server.dataDir, 'cases')).length;
    const r = await postCase(server, { analyses: [ids.client, ids.broken] });
    expect(r.status).toBe(422);
    expect(r.json.error).toMatch(/^a capture of this case cannot be read: /);
    expect(r.text).not.toContain(server.dataDir);
    expect(readdirSync(join(server.dataDir, 'cases')).length).toBe(before);
    // The worker slot was given back: another case still works.
    expect((await postCase(server, { analyses: [ids.client, ids.resolver] })).status).toBe(201);
  });
});

describe('the store keeps cases only with all of their analyses', () => {
  const A = 'AAAAaaaaAAAAaaaaAAAA00';
  const B = 'BBBBbbbbBBBBbbbbBBBB00';
  const C = 'CCCCccccCCCCccccCCCC00';
  const summary = (id: string, points: string[]): string => JSON.stringify({ id, createdAt: '2026-12-06T07:00:00.000Z', points: points.map((analysis) => ({ analysis })) });

  it('refuses a case whose analysis was deleted meanwhile, and deletes cases with an analysis', () => {
    const store = new Store(mkdtempSync(join(tmpdir(), 'dualscope-cases-')));
    try {
      store.recover();
      for (const id of [A, B, C]) store.insert(id, `${id}.pcap`, 'queued', 1);
      store.delete(C);
      expect(store.addCase('CASEcaseCASEcaseCASE01', '2026-12-06T07:00:00.000Z', [A, C], summary('CASEcaseCASEcaseCASE01', [A, C]))).toBe(C);
      expect(store.getCase('CASEcaseCASEcaseCASE01')).toBeUndefined();
      expect(store.addCase('CASEcaseCASEcaseCASE02', '2026-12-06T07:00:01.000Z', [A, B], summary('CASEcaseCASEcaseCASE02', [A, B]))).toBeUndefined();
      expect(store.casesUsing(B)).toEqual(['CASEcaseCASEcaseCASE02']);
      expect(store.delete(B)).toEqual({ existed: true, cases: ['CASEcaseCASEcaseCASE02'] });
      expect(store.getCase('CASEcaseCASEcaseCASE02')).toBeUndefined();
      expect(store.casesUsing(A)).toEqual([]);
      expect(store.listCases().cases).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('at start, takes over cases an older version wrote as files, unless one of their analyses is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualscope-cases-'));
    let store = new Store(dir);
    store.recover();
    for (const id of [A, B]) store.insert(id, `${id}.pcap`, 'queued', 1);
    store.close();
    const kept = 'KEPTkeptKEPTkeptKEPT01';
    const orphan = 'GONEgoneGONEgoneGONE01';
    for (const [id, points] of [[kept, [A, B]], [orphan, [A, C]]] as const) {
      writeFileSync(join(dir, 'cases', `${id}.meta.json`), summary(id, [...points]));
      writeFileSync(join(dir, 'cases', `${id}.json`), '{}');
      writeFileSync(join(dir, 'cases', `${id}.html`), '<!DOCTYPE html>');
    }
    writeFileSync(join(dir, 'cases', 'stray.html'), 'no case names this');
    store = new Store(dir);
    try {
      store.recover();
      expect(store.listCases().cases.map((c) => JSON.parse(c).id)).toEqual([kept]);
      expect(store.casesUsing(A)).toEqual([kept]);
      expect(readdirSync(join(dir, 'cases')).sort()).toEqual([`${kept}.html`, `${kept}.json`]);
    } finally {
      store.close();
    }
  });
});
