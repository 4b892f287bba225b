// The upload service's JSON API over real HTTP: a server on a free loopback port with a temp data
// folder, real sample captures, and the files left in that folder checked after every failure.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeFile } from '../../src/analyze.js';
import { CaptureParser } from '../../src/readers/index.js';
import { CLIENT_JS, cspScriptHash, Report } from '../../src/report/index.js';
import { MAX_GZIP_RATIO, Store } from '../../src/server/index.js';
import { PAGE_CSP, UPLOAD_JS } from '../../src/server/page.js';
import {
  eventually, filesIn, multipartBody, pieces, repeatedCapture, request, sample, settled, sleep, startChildServer, startTestServer, tempDataDir,
} from './support/client.js';

const SAME_PORT = sample('same-port-drop-aaaa-client.pcap');
const AAAA = sample('aaaa-unanswered-client.pcapng');
const PMTUD = sample('pmtud-v6-blackhole-server.pcap');
const BIG = sample('pmtud-mss-clamp-client.pcap'); // ~230 KB

const findingKeys = (r: { findings: { kind: string; id: string; severity: string }[] }): string[] => r.findings.map((f) => `${f.severity} ${f.kind} ${f.id}`);

type Server = Awaited<ReturnType<typeof startTestServer>>;
const servers: Server[] = [];
const started = async (...args: Parameters<typeof startTestServer>): Promise<Server> => {
  const s = await startTestServer(...args);
  servers.push(s);
  return s;
};
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
});

describe('upload, status, report, capture, delete', () => {
  let server: Server;
  beforeAll(async () => {
    server = await started();
  });

  it('a raw upload is analysed as it arrives, into the same report analyze gives', async () => {
    const bytes = readFileSync(SAME_PORT);
    const up = await request(`${server.url}/api/analyses?name=same-port.pcap`, { method: 'POST', body: pieces(bytes, 5), pauseMs: 5, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(up.status).toBe(201);
    expect(up.json.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(up.headers.location).toBe(`/api/analyses/${up.json.id}`);

    const st = await settled(server.url, up.json.id);
    expect(st.status).toBe(200);
    expect(st.json).toMatchObject({ id: up.json.id, name: 'same-port.pcap', status: 'done', reason: null, size: bytes.length, stored: true });
    const report = Report.parse(st.json.report);
    const expected = await analyzeFile(SAME_PORT);
    expect(report.capture.file).toBe('same-port.pcap');
    expect(report.capture.packets).toBe(expected.capture.packets);
    expect(findingKeys(report)).toEqual(findingKeys(expected));
    expect(report.findings.length).toBeGreaterThan(0);
    const { occurrences: _, ...incidentCounts } = expected.counts; // the store keeps incidents per severity
    expect(st.json.counts).toEqual(incidentCounts);
    expect(st.json.packets).toBe(expected.capture.packets);

    const html = await request(`${server.url}/api/analyses/${up.json.id}/report.html`);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(html.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain('sandbox allow-scripts');
    // The one inline script is allowed by its hash, and nothing else is.
    const inline = [...html.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(inline).toHaveLength(1);
    const hash = createHash('sha256').update(inline[0]!, 'utf8').digest('base64');
    expect(csp).toMatch(new RegExp(`script-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}';`));
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    for (const f of report.findings) expect(html.text).toContain(f.id);

    const json = await request(`${server.url}/api/analyses/${up.json.id}/report.json`);
    expect(json.status).toBe(200);
    expect(json.headers['content-disposition']).toMatch(/^attachment; filename="same-port\.json"/);
    expect(json.json).toEqual(st.json.report);

    const cap = await request(`${server.url}/api/analyses/${up.json.id}/capture`);
    expect(cap.status).toBe(200);
    expect(cap.headers['content-disposition']).toMatch(/^attachment; filename="same-port\.pcap"/);
    expect(cap.body.equals(bytes)).toBe(true);

    const list = await request(`${server.url}/api/analyses`);
    expect(list.json.analyses.map((a: { id: string }) => a.id)).toContain(up.json.id);

    const del = await request(`${server.url}/api/analyses/${up.json.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    for (const what of ['', '/report.html', '/report.json', '/capture']) {
      const gone = await request(`${server.url}/api/analyses/${up.json.id}${what}`);
      expect(gone.status, what).toBe(404);
      expect(gone.json.error).toMatch(/no such analysis/);
    }
    expect((await request(`${server.url}/api/analyses/${up.json.id}`, { method: 'DELETE' })).status).toBe(404);
    const after = await request(`${server.url}/api/analyses`);
    expect(after.json.analyses.map((a: { id: string }) => a.id)).not.toContain(up.json.id);
    const files = filesIn(server.dataDir);
    expect([...files.captures, ...files.reports].filter((f) => f.startsWith(up.json.id))).toEqual([]);
  });

  it('a multipart upload (field "capture") arriving in 7-byte pieces takes its name from the file name', async () => {
    const bytes = readFileSync(AAAA);
    const boundary = '----dualscope-test-boundary-7MA4YWxkTrZu0gW';
    const body = multipartBody(boundary, [
      { name: 'note', data: 'ignored field' },
      { name: 'capture', filename: 'C:\\captures\\aaaa.pcapng', type: 'application/octet-stream', data: bytes },
      { name: 'after', data: `--${boundary.slice(0, 20)} not a boundary` },
    ]);
    const up = await request(`${server.url}/api/analyses`, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body: pieces(body, Math.ceil(body.length / 7)),
    });
    expect(up.status).toBe(201);
    const st = await settled(server.url, up.json.id);
    expect(st.json.name).toBe('aaaa.pcapng');
    const expected = await analyzeFile(AAAA);
    expect(findingKeys(Report.parse(st.json.report))).toEqual(findingKeys(expected));
    const cap = await request(`${server.url}/api/analyses/${up.json.id}/capture`);
    expect(cap.body.equals(bytes)).toBe(true);
  });

  it('a gzip upload is decompressed for analysis and stored as uploaded', async () => {
    const gz = gzipSync(readFileSync(PMTUD));
    const up = await request(`${server.url}/api/analyses?name=pmtud.pcap.gz`, { method: 'POST', body: pieces(gz, 4) });
    expect(up.status).toBe(201);
    const st = await settled(server.url, up.json.id);
    const report = Report.parse(st.json.report);
    expect(report.capture.gzip).toBe(true);
    expect(findingKeys(report)).toEqual(findingKeys(await analyzeFile(PMTUD)));
    expect((await request(`${server.url}/api/analyses/${up.json.id}/capture`)).body.equals(gz)).toBe(true);
  });

  it('file names from the client are only shown: paths and control characters go, files are named by id', async () => {
    const up = await request(`${server.url}/api/analyses?name=${encodeURIComponent('../../etc/\u202eevil\u0007<img src=x>.pcap')}`, { method: 'POST', body: readFileSync(SAME_PORT) });
    expect(up.status).toBe(201);
    const st = await settled(server.url, up.json.id);
    expect(st.json.name).toBe('evil<img src=x>.pcap');
    const files = filesIn(server.dataDir);
    for (const f of [...files.captures, ...files.reports]) expect(f).toMatch(/^[A-Za-z0-9_-]{22}\.(cap|json|html)$/);
    const html = await request(`${server.url}/api/analyses/${up.json.id}/report.html`);
    expect(html.text).not.toContain('<img src=x>');
    expect(html.text).toContain('evil&lt;img src=x&gt;.pcap');
    const cap = await request(`${server.url}/api/analyses/${up.json.id}/capture`);
    expect(cap.headers['content-disposition']).toBe(`attachment; filename="evil_img_src_x_.pcap"; filename*=UTF-8''${encodeURIComponent('evil<img src=x>.pcap')}`);
  });

  it('answers unknown ids, paths and methods with JSON errors', async () => {
    const cases: [string, string, number][] = [
      ['GET', '/api/analyses/AAAAAAAAAAAAAAAAAAAAAA', 404],
      ['GET', '/api/analyses/../../etc/passwd', 404],
      ['GET', '/api/analyses/x/report.html', 404],
      ['GET', '/nope', 404],
      ['PUT', '/api/analyses', 405],
      ['POST', '/api/analyses/AAAAAAAAAAAAAAAAAAAAAA', 405],
    ];
    for (const [method, path, status] of cases) {
      const a = await request(`${server.url}${path}`, { method });
      expect(a.status, `${method} ${path}`).toBe(status);
      expect(a.headers['content-type'], `${method} ${path}`).toMatch(/^application\/json/);
      expect(typeof a.json.error).toBe('string');
    }
  });

  it('refuses a foreign Host (DNS rebinding) and cross-site writes', async () => {
    const rebound = await request(`${server.url}/api/analyses`, { headers: { Host: 'attacker.example:8080' } });
    expect(rebound.status).toBe(403);
    const cross = await request(`${server.url}/api/analyses`, { method: 'POST', headers: { Origin: 'https://attacker.example' }, body: readFileSync(SAME_PORT) });
    expect(cross.status).toBe(403);
    const list = await request(`${server.url}/api/analyses`);
    expect(list.status).toBe(200);
  });
});

describe('refused uploads leave nothing behind', () => {
  let server: Server;
  beforeAll(async () => {
    server = await started({ maxUpload: 100 * 1024, maxDecompressed: 50 * 1024 });
  });

  const nothingLeft = async (): Promise<void> => {
    await eventually(() => expect(filesIn(server.dataDir)).toEqual({ captures: [], reports: [], tmp: [] }));
    expect((await request(`${server.url}/api/analyses`)).json.analyses).toEqual([]);
  };

  it('a non-capture: 415 after its first bytes, with the reason', async () => {
    const text = Buffer.from('<html><body>this is not a capture</body></html>\n'.repeat(500));
    const a = await request(`${server.url}/api/analyses?name=page.html`, { method: 'POST', body: pieces(text, 10), pauseMs: 5 });
    expect(a.status).toBe(415);
    expect(a.json.error).toMatch(/^not a capture: .*unknown magic/);
    await nothingLeft();
  });

  it('an empty body and a PNG: 415', async () => {
    const empty = await request(`${server.url}/api/analyses`, { method: 'POST', body: Buffer.alloc(0) });
    expect(empty.status).toBe(415);
    expect(empty.json.error).toMatch(/empty/);
    const png = await request(`${server.url}/api/analyses`, { method: 'POST', body: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') });
    expect(png.status).toBe(415);
    expect(png.json.error).toMatch(/PNG/);
    await nothingLeft();
  });

  it('over --max-upload by Content-Length: 413 before reading', async () => {
    const a = await request(`${server.url}/api/analyses`, { method: 'POST', body: readFileSync(BIG) });
    expect(a.status).toBe(413);
    expect(a.json.error).toMatch(/over this server's limit of 100 KiB/);
    await nothingLeft();
  });

  it('over --max-upload while arriving (chunked, no length): 413, partial file removed', async () => {
    const a = await request(`${server.url}/api/analyses`, {
      method: 'POST',
      headers: { 'Transfer-Encoding': 'chunked' },
      body: pieces(readFileSync(BIG), 20),
      pauseMs: 2,
    });
    expect(a.status).toBe(413);
    await nothingLeft();
  });

  it('a gzip bomb stops at the decompressed limit: 413', async () => {
    const gz = gzipSync(Buffer.concat([readFileSync(PMTUD), readFileSync(PMTUD), readFileSync(PMTUD)]));
    expect(gz.length).toBeLessThan(100 * 1024);
    const a = await request(`${server.url}/api/analyses`, { method: 'POST', body: gz });
    expect(a.status).toBe(413);
    expect(a.json.error).toMatch(/decompresses to more than/);
    await nothingLeft();
  });

  it('a multipart body without "capture", or cut before its closing boundary: 400', async () => {
    const b = 'xyzBOUNDARYxyz';
    const none = await request(`${server.url}/api/analyses`, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${b}` },
      body: multipartBody(b, [{ name: 'file', filename: 'a.pcap', data: readFileSync(SAME_PORT) }]),
    });
    expect(none.status).toBe(400);
    expect(none.json.error).toMatch(/no field named "capture"/);
    const full = multipartBody(b, [{ name: 'capture', filename: 'a.pcap', data: readFileSync(SAME_PORT) }]);
    const cut = await request(`${server.url}/api/analyses`, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${b}` },
      body: full.subarray(0, full.length - 30),
    });
    expect(cut.status).toBe(400);
    expect(cut.json.error).toMatch(/closing boundary/);
    const noBoundary = await request(`${server.url}/api/analyses`, { method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: 'x' });
    expect(noBoundary.status).toBe(400);
    await nothingLeft();
  });

  it('an upload cut off mid-way (client gone): no row, no file', async () => {
    const bytes = readFileSync(PMTUD);
    let sawRunning = false;
    await expect(
      request(`${server.url}/api/analyses`, {
        method: 'POST',
        headers: { 'Content-Length': bytes.length },
        body: pieces(bytes, 2),
        cutOff: true,
        pauseMs: 300,
        afterFirstPiece: async () => {
          // It is listed while it arrives (it passed the capture check) …
          await eventually(async () => {
            const l = (await request(`${server.url}/api/analyses`)).json.analyses;
            expect(l).toHaveLength(1);
            expect(l[0].status).toBe('running');
            expect(l[0].progress.phase).toBe('upload');
            // Analysed while it arrives: frames of the first half are already counted.
            expect(l[0].progress.packets).toBeGreaterThan(0);
          });
          sawRunning = true;
        },
      }),
    ).rejects.toThrow();
    expect(sawRunning).toBe(true);
    // … and gone once cut off.
    await nothingLeft();
  });

  it('an upload deleted while it arrives: the connection is dropped, nothing left', async () => {
    const bytes = readFileSync(PMTUD);
    await expect(
      request(`${server.url}/api/analyses?name=doomed.pcap`, {
        method: 'POST',
        headers: { 'Content-Length': bytes.length },
        body: pieces(bytes, 2),
        pauseMs: 2000,
        afterFirstPiece: async () => {
          const id = await eventually(async () => {
            const l = (await request(`${server.url}/api/analyses`)).json.analyses;
            expect(l).toHaveLength(1);
            return l[0].id as string;
          });
          expect((await request(`${server.url}/api/analyses/${id}`, { method: 'DELETE' })).status).toBe(204);
        },
      }),
    ).rejects.toThrow();
    await nothingLeft();
  });

  it('keeps working after all that', async () => {
    const up = await request(`${server.url}/api/analyses`, { method: 'POST', body: readFileSync(SAME_PORT) });
    expect(up.status).toBe(201);
    expect((await settled(server.url, up.json.id)).json.status).toBe('done');
  });
});

describe('a failed upload says what failed, and leaves nothing behind', () => {
  const logged: string[] = [];
  let server: Server;
  beforeAll(async () => {
    // The decompressed limit far away, so the ratio is what stops a bomb; a rate window of 400 ms.
    server = await started({ maxUpload: 1024 * 1024, maxDecompressed: 1024 ** 3, minUploadRate: 64 * 1024, uploadRateWindowMs: 400, log: (l) => logged.push(l) });
  });

  const nothingLeft = async (): Promise<void> => {
    await eventually(() => expect(filesIn(server.dataDir)).toEqual({ captures: [], reports: [], tmp: [] }));
    expect((await request(`${server.url}/api/analyses`)).json.analyses).toEqual([]);
  };

  it('a bug while reading (a RangeError from the parser) is a 500 with a generic message, logged — not a "limit"', async () => {
    const spy = vi.spyOn(CaptureParser.prototype, 'push').mockImplementation(() => {
      throw new RangeError('The value of "offset" is out of range.');
    });
    try {
      const a = await request(`${server.url}/api/analyses?name=x.pcap`, { method: 'POST', body: readFileSync(SAME_PORT) });
      expect(a.status).toBe(500);
      expect(a.json.error).toBe('internal error while storing the upload');
      expect(a.text).not.toMatch(/limit|offset/);
    } finally {
      spy.mockRestore();
    }
    expect(logged.join('\n')).toMatch(/upload failed: RangeError: The value of "offset" is out of range/);
    await nothingLeft();
  });

  it('a capture the readers refuse is a 415 with the reader\'s reason', async () => {
    const a = await request(`${server.url}/api/analyses`, { method: 'POST', body: readFileSync(SAME_PORT).subarray(0, 10) });
    expect(a.status).toBe(415);
    expect(a.json.error).toMatch(/^not a capture: .*ends inside its header/);
    await nothingLeft();
  });

  it(`a gzip bomb under every size limit stops at ${MAX_GZIP_RATIO}× its compressed bytes: 413, early`, async () => {
    const pcapHeader = readFileSync(SAME_PORT).subarray(0, 24);
    const bomb = gzipSync(Buffer.concat([pcapHeader, Buffer.alloc(64 * 1024 * 1024)])); // ~64 KB → 64 MiB
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const a = await request(`${server.url}/api/analyses?name=bomb.pcap.gz`, { method: 'POST', body: pieces(bomb, 64), pauseMs: 2 });
    expect(a.status).toBe(413);
    expect(a.json.error).toMatch(new RegExp(`decompresses to more than ${MAX_GZIP_RATIO} times its compressed size .*decompression bomb`));
    await nothingLeft();
  });

  it('a sender slower than minUploadRate: 408, its slot freed, nothing left; a normal upload still works', async () => {
    const bytes = readFileSync(BIG);
    const a = await request(`${server.url}/api/analyses?name=slow.pcap`, { method: 'POST', body: pieces(bytes.subarray(0, 20_000), 40), pauseMs: 50 });
    expect(a.status).toBe(408);
    expect(a.json.error).toMatch(/arrives too slowly .* at least 64 KiB\/s/);
    await nothingLeft();
    const ok = await request(`${server.url}/api/analyses?name=fast.pcap`, { method: 'POST', body: bytes });
    expect(ok.status).toBe(201);
    expect((await settled(server.url, ok.json.id)).json.status).toBe('done');
  });
});

describe('a big upload', () => {
  it('is analysed while it arrives, and the server answers other requests meanwhile', async () => {
    const server = await started({ maxUpload: 64 * 1024 * 1024 });
    const big = repeatedCapture(readFileSync(PMTUD), 24 * 1024 * 1024);
    const latencies: number[] = [];
    const progress: number[] = [];
    let uploading = true;
    const probe = (async () => {
      while (uploading) {
        const t = performance.now();
        const l = await request(`${server.url}/api/analyses`);
        latencies.push(performance.now() - t);
        const p = l.json.analyses[0]?.progress;
        if (p?.phase === 'upload') progress.push(p.packets);
        await sleep(20);
      }
    })();
    const uploadStarted = performance.now();
    const up = await request(`${server.url}/api/analyses?name=big.pcap`, { method: 'POST', body: pieces(big, 48), pauseMs: 10 });
    const uploadMs = performance.now() - uploadStarted;
    uploading = false;
    await probe;
    expect(up.status).toBe(201);
    const st = await settled(server.url, up.json.id);
    expect(st.json.status).toBe('done');
    expect(st.json.size).toBe(big.length);
    // Packets were counted while the upload was still arriving, and growing.
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)!).toBeGreaterThan(progress[0]!);
    expect(progress[0]!).toBeLessThan(st.json.packets);
    // The last piece's packets are counted before the request ends, so a probe between the two sees all of them
    // still under 'upload' (a CI run did): at most the total, not below it.
    expect(Math.max(...progress)).toBeLessThanOrEqual(st.json.packets);
    // The list answered all along (the growing progress above shows it answered during the upload):
    // no answer waited 1 s, or half the upload's time when a loaded machine stretches the upload
    // (here ~0.6 s, answers within ~40 ms).
    expect(Math.max(...latencies)).toBeLessThan(Math.max(1000, uploadMs / 2));
  });
});

describe('the report CSP', () => {
  it('allows the report\'s known client script only, whatever the stored page contains', async () => {
    const server = await started();
    const up = await request(`${server.url}/api/analyses?name=csp.pcap`, { method: 'POST', body: readFileSync(SAME_PORT) });
    expect((await settled(server.url, up.json.id)).json.status).toBe('done');
    // Markup that got into a stored report (by whatever bug) must not be allowed by the header.
    const path = join(server.dataDir, 'reports', `${up.json.id}.html`);
    const injected = 'fetch("/api/analyses")';
    writeFileSync(path, readFileSync(path, 'utf8').replace('</body>', `<script>${injected}</script></body>`));
    const html = await request(`${server.url}/api/analyses/${up.json.id}/report.html`);
    expect(html.text).toContain(injected);
    const scriptSrc = /script-src ([^;]*);/.exec(String(html.headers['content-security-policy']))![1];
    expect(scriptSrc).toBe(cspScriptHash(CLIENT_JS));
    expect(scriptSrc).not.toContain(createHash('sha256').update(injected, 'utf8').digest('base64'));
  });
});

describe('the upload page CSP', () => {
  it('allows exactly the page\'s inline script, which is the compiled src/server/client/upload-client.ts', async () => {
    const server = await started();
    const page = await request(`${server.url}/`);
    expect(page.status).toBe(200);
    const scripts = [...page.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toEqual([UPLOAD_JS]);
    expect(page.text).not.toMatch(/<script\s+src=/);
    const scriptSrc = /script-src ([^;]*);/.exec(String(page.headers['content-security-policy']))![1];
    expect(scriptSrc).toBe(`'sha256-${createHash('sha256').update(scripts[0]!, 'utf8').digest('base64')}'`);
    expect(page.headers['content-security-policy']).toBe(PAGE_CSP);
    // The script it allows is the compiled TypeScript (its opening lines), not a copy kept elsewhere.
    expect(UPLOAD_JS).toContain("document.body.dataset['maxUpload']");
    expect((await request(`${server.url}/app.js`)).status).toBe(404);
  });
});

describe('Expect: 100-continue', () => {
  it('refuses an oversized or unauthorised upload before the body is sent', async () => {
    const server = await started({ maxUpload: 1024, token: 'a-token-of-sufficient-length' });
    const ask = (headers: Record<string, string | number>) =>
      new Promise<{ status: number; continued: boolean }>((resolveAsk, reject) => {
        let continued = false;
        const req = httpRequest(`${server.url}/api/analyses`, { method: 'POST', headers: { Expect: '100-continue', ...headers } });
        req.on('continue', () => {
          continued = true;
          req.end(Buffer.alloc(Number(headers['Content-Length'])));
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolveAsk({ status: res.statusCode!, continued }));
          req.destroy();
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    expect(await ask({ 'Content-Length': 5000, Authorization: 'Bearer a-token-of-sufficient-length' })).toEqual({ status: 413, continued: false });
    expect(await ask({ 'Content-Length': 100 })).toEqual({ status: 401, continued: false });
    expect(await ask({ 'Content-Length': 100, Authorization: 'Bearer a-token-of-sufficient-length' })).toEqual({ status: 415, continued: true });
  });
});

describe('a token-protected server', () => {
  const TOKEN = 'correct-horse-battery-staple-0123456789';
  let server: Server;
  beforeAll(async () => {
    server = await started({ token: TOKEN });
  });

  it('refuses every API request without the token (401) and accepts it with the token', async () => {
    const bare = await request(`${server.url}/api/analyses`);
    expect(bare.status).toBe(401);
    expect(bare.json.error).toMatch(/token is required/);
    expect(bare.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await request(`${server.url}/api/analyses`, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await request(`${server.url}/api/analyses`, { headers: { Authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    const refused = await request(`${server.url}/api/analyses`, { method: 'POST', body: readFileSync(SAME_PORT) });
    expect(refused.status).toBe(401);
    expect(filesIn(server.dataDir).tmp).toEqual([]);
    expect((await request(`${server.url}/api/events`)).status).toBe(401);
    expect((await request(`${server.url}/no-such-page`)).status).toBe(401); // nothing says what exists

    const auth = { Authorization: `Bearer ${TOKEN}` };
    const up = await request(`${server.url}/api/analyses?name=t.pcap`, { method: 'POST', headers: auth, body: readFileSync(SAME_PORT) });
    expect(up.status).toBe(201);
    const st = await settled(server.url, up.json.id, auth);
    expect(st.json.status).toBe('done');
    expect((await request(`${server.url}/api/analyses/${up.json.id}`)).status).toBe(401);
    expect((await request(`${server.url}/api/analyses/${up.json.id}/report.html`)).status).toBe(401);
    expect((await request(`${server.url}/api/analyses/${up.json.id}/capture`)).status).toBe(401);
    expect((await request(`${server.url}/api/analyses/${up.json.id}`, { method: 'DELETE' })).status).toBe(401);
    expect((await request(`${server.url}/api/analyses/${up.json.id}/report.html`, { headers: auth })).status).toBe(200);
  });

  it('the page sends browsers to the login page, which sets a cookie that works instead of the header', async () => {
    const page = await request(`${server.url}/`);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login');
    const login = await request(`${server.url}/login`);
    expect(login.status).toBe(200);
    expect(login.text).toContain('name="token"');

    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const wrong = await request(`${server.url}/login`, { method: 'POST', headers: form, body: 'token=guess' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const right = await request(`${server.url}/login`, { method: 'POST', headers: form, body: `token=${encodeURIComponent(TOKEN)}` });
    expect(right.status).toBe(303);
    const cookie = String(right.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    expect((await request(`${server.url}/api/analyses`, { headers: { Cookie: session } })).status).toBe(200);
    expect((await request(`${server.url}/`, { headers: { Cookie: session } })).status).toBe(200);
    expect((await request(`${server.url}/api/analyses`, { headers: { Cookie: `${session}x` } })).status).toBe(401);
  });
});

describe('concurrency', () => {
  let server: Server;
  beforeAll(async () => {
    server = await started({ workers: 2 });
  });

  it('six uploads at once with two workers: the rest queue, all complete with the right reports, events on the way', async () => {
    const events: { event: string; data: any }[] = [];
    const es = httpRequest(`${server.url}/api/events`);
    es.on('response', (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const ev = /^event: (.*)$/m.exec(block);
          const data = /^data: (.*)$/m.exec(block);
          if (ev && data) events.push({ event: ev[1]!, data: JSON.parse(data[1]!) });
        }
      });
    });
    es.end();
    await sleep(100);

    const files = [SAME_PORT, AAAA, PMTUD, SAME_PORT, AAAA, PMTUD];
    const expected = await Promise.all([SAME_PORT, AAAA, PMTUD].map((f) => analyzeFile(f)));
    const expectOf = (f: string) => expected[[SAME_PORT, AAAA, PMTUD].indexOf(f)]!;
    // Each upload sends half, waits until all six are listed, then sends the rest: they overlap for sure.
    let listed = 0;
    const allListed = eventually(async () => {
      listed = (await request(`${server.url}/api/analyses`)).json.analyses.length;
      expect(listed).toBe(6);
    }, 20_000);
    const ups = await Promise.all(
      files.map((f, i) =>
        request(`${server.url}/api/analyses?name=${i}-${f.split('/').pop()}`, {
          method: 'POST',
          body: pieces(readFileSync(f), 2),
          afterFirstPiece: () => allListed.then(() => undefined),
        }),
      ),
    );
    expect(ups.map((u) => u.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const sts = await Promise.all(ups.map((u) => settled(server.url, u.json.id)));
    sts.forEach((st, i) => {
      expect(st.json.status).toBe('done');
      expect(findingKeys(Report.parse(st.json.report))).toEqual(findingKeys(expectOf(files[i]!)));
    });
    await eventually(() => {
      const ids = new Set(ups.map((u) => u.json.id));
      const seen = (status: string) => new Set(events.filter((e) => e.event === 'analysis' && e.data.status === status).map((e) => e.data.id));
      expect([...seen('done')].filter((id) => ids.has(id))).toHaveLength(6);
      // Two ran while they arrived; four waited for a worker.
      expect([...seen('queued')].filter((id) => ids.has(id))).toHaveLength(4);
    });
    es.destroy();
  });
});

describe('restart', () => {
  it('an analysis left running is marked failed at start; a stored queued one is analysed; the server keeps working', async () => {
    const dataDir = tempDataDir();
    // What a crash leaves: a running row, a queued row whose capture is stored, a half-written temp file.
    const store = new Store(dataDir);
    store.insert('RUNNINGrunningRUNNING0', 'crashed.pcap', 'running', 1000);
    store.insert('QUEUEDqueuedQUEUEDque0', 'waiting.pcap', 'queued', 0);
    copyFileSync(SAME_PORT, join(dataDir, 'tmp', 'w'));
    store.storeCapture('QUEUEDqueuedQUEUEDque0', join(dataDir, 'tmp', 'w'), readFileSync(SAME_PORT).length);
    writeFileSync(join(dataDir, 'tmp', 'half-written.upload'), 'partial');
    writeFileSync(join(dataDir, 'reports', 'ORPHANorphanORPHANorp0.json'), '{}');
    store.close();

    const server = await started({ dataDir });
    const failed = (await request(`${server.url}/api/analyses/RUNNINGrunningRUNNING0`)).json;
    expect(failed).toMatchObject({ status: 'failed', reason: expect.stringMatching(/interrupted by a server stop or crash/) });
    const queued = await settled(server.url, 'QUEUEDqueuedQUEUEDque0');
    expect(queued.json.status).toBe('done');
    expect(findingKeys(Report.parse(queued.json.report))).toEqual(findingKeys(await analyzeFile(SAME_PORT)));
    expect(filesIn(dataDir).tmp).toEqual([]);
    expect(filesIn(dataDir).reports).not.toContain('ORPHANorphanORPHANorp0.json');
    const up = await request(`${server.url}/api/analyses`, { method: 'POST', body: readFileSync(AAAA) });
    expect((await settled(server.url, up.json.id)).json.status).toBe('done');
  });

  it('a server killed (SIGKILL) mid-upload: after restart that upload is failed, nothing half-written, new uploads work', async () => {
    const dataDir = tempDataDir();
    const { child, url } = await startChildServer(dataDir);
    try {
      const bytes = readFileSync(PMTUD);
      // Finished before the crash: must survive it.
      const before = await request(`${url}/api/analyses?name=before.pcap`, { method: 'POST', body: readFileSync(SAME_PORT) });
      expect((await settled(url, before.json.id)).json.status).toBe('done');

      let midId = '';
      const upload = request(`${url}/api/analyses?name=mid.pcap`, {
        method: 'POST',
        headers: { 'Content-Length': bytes.length },
        body: pieces(bytes, 2),
        pauseMs: 60_000,
        afterFirstPiece: async () => {
          midId = await eventually(async () => {
            const l = (await request(`${url}/api/analyses`)).json.analyses.filter((a: { name: string }) => a.name === 'mid.pcap');
            expect(l).toHaveLength(1);
            expect(l[0].status).toBe('running');
            return l[0].id as string;
          }, 30_000);
          // The temp file is opened asynchronously (the thread pool): on a busy machine, after the row.
          await eventually(() => expect(filesIn(dataDir).tmp).toHaveLength(1), 30_000);
          child.kill('SIGKILL');
          await new Promise((r) => child.once('exit', r));
        },
      });
      await expect(upload).rejects.toThrow();

      const server = await started({ dataDir });
      const mid = (await request(`${server.url}/api/analyses/${midId}`)).json;
      expect(mid).toMatchObject({ status: 'failed', stored: false, reason: expect.stringMatching(/upload was interrupted/) });
      expect((await request(`${server.url}/api/analyses/${midId}/capture`)).status).toBe(404);
      expect(filesIn(dataDir).tmp).toEqual([]);
      expect(filesIn(dataDir).captures).toEqual([`${before.json.id}.cap`]);
      const survived = (await request(`${server.url}/api/analyses/${before.json.id}`)).json;
      expect(survived.status).toBe('done');
      Report.parse(survived.report);
      const again = await request(`${server.url}/api/analyses?name=after.pcap`, { method: 'POST', body: bytes });
      expect(again.status).toBe(201);
      expect((await settled(server.url, again.json.id)).json.status).toBe('done');
      expect((await request(`${server.url}/api/analyses/${midId}`, { method: 'DELETE' })).status).toBe(204);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // Generous: a child process, two servers and three analyses on a loaded 2-core CI machine.
  }, 180_000);
});
