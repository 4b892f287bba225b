// Issue 18: what a full disk, idle clients, many analyses, bad --data paths and a SIGKILL must not
// do to the service. The disk-full cases run on a real small tmpfs (root only, skipped otherwise);
// the service runs in a child process there, so a crash shows as its exit, not as a dead test run.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_INTERFACES, MAX_LINK_TYPES } from '../../src/readers/formats.js';
import { INTERRUPTED_ANALYSIS, LIST_PAGE, MAX_ATTEMPTS, Store } from '../../src/server/store.js';
import { canMount, mountSmallDisk, WHY_NOT_MOUNT, type SmallDisk } from './support/disk.js';
import { eventually, filesIn, pieces, request, sample, settled, sleep, startChildServer, startTestServer, tempDataDir } from './support/client.js';

const SAME_PORT = sample('same-port-drop-aaaa-client.pcap');
const AAAA = sample('aaaa-unanswered-client.pcapng');
const BIN = resolve('dist/src/cli/main.js');

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

const disks: SmallDisk[] = [];
const smallDisk = (size?: string): SmallDisk => {
  const d = mountSmallDisk(size);
  disks.push(d);
  return d;
};
afterEach(() => {
  for (const d of disks.splice(0)) d.unmount();
});

/** Runs the built CLI; a hang (the old `--data /proc` spin, a half-started service) ends in status null. */
function cli(args: string[], timeoutMs = 20_000): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { status: r.status, stderr: r.stderr };
}

function expectOneLine(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe.skipIf(!canMount)(`a full disk (items 1, 2; ${WHY_NOT_MOUNT})`, () => {
  it('the store: failing and deleting never throw on a full disk, show at once, and are written once there is room; reports leave no temp files', () => {
    const disk = smallDisk();
    const store = new Store(join(disk.dir, 'data'));
    try {
      store.recover();
      store.insert('FAILfailFAILfailFAIL00', 'a.pcap', 'running', 10);
      store.insert('GONEgoneGONEgoneGONE00', 'b.pcap', 'queued', 10);
      disk.fill();
      expect(() => store.finish('FAILfailFAILfailFAIL00', 'x'.repeat(64 * 1024), 'y'.repeat(64 * 1024), 1, { info: 0, warning: 0, error: 0 })).toThrow();
      expect(readdirSync(store.tmpDir)).toEqual([]);
      expect(readdirSync(store.reportsDir)).toEqual([]);
      expect(() => store.fail('FAILfailFAILfailFAIL00', 'the disk was full')).not.toThrow();
      expect(() => store.delete('GONEgoneGONEgoneGONE00')).not.toThrow();
      expect(store.get('FAILfailFAILfailFAIL00')).toMatchObject({ status: 'failed', reason: 'the disk was full' });
      expect(store.get('GONEgoneGONEgoneGONE00')).toBeUndefined();
      expect(store.all().map((s) => s.id)).toEqual(['FAILfailFAILfailFAIL00']);
      expect(store.deferred).toBe(2); // the database could not take them (SQLITE_FULL)
      disk.empty();
      store.retryDeferred();
      expect(store.deferred).toBe(0);
    } finally {
      store.close();
    }
    const reopened = new Store(join(disk.dir, 'data'));
    expect(reopened.all().map((s) => [s.id, s.status, s.reason])).toEqual([['FAILfailFAILfailFAIL00', 'failed', 'the disk was full']]);
    reopened.close();
  });

  it('the service: analyses running along and queued ones end failed with a reason, the process lives, no slot leaks, no temp files', async () => {
    const disk = smallDisk('4m');
    const dataDir = join(disk.dir, 'data');
    // One worker: a leaked slot would leave every later upload queued for ever.
    const { child, url, stderr } = await startChildServer(dataDir, 60_000, { workers: 1 });
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = `exited (${code ?? signal}): ${stderr()}`));
    try {
      const warm = await request(`${url}/api/analyses?name=warm.pcap`, { method: 'POST', body: readFileSync(SAME_PORT) });
      expect((await settled(url, warm.json.id)).json.status).toBe('done');

      // A: analysed as it arrives (holds the only slot), its second half sent once the disk is full.
      const bytes = readFileSync(SAME_PORT);
      let release!: () => void;
      const filled = new Promise<void>((r) => (release = r));
      let aId = '';
      const a = request(`${url}/api/analyses?name=along.pcap`, {
        method: 'POST',
        headers: { 'Content-Length': bytes.length },
        body: pieces(bytes, 2),
        afterFirstPiece: async () => {
          aId = await eventually(async () => {
            const list = (await request(`${url}/api/analyses`)).json.analyses as { id: string; name: string }[];
            const row = list.find((s) => s.name === 'along.pcap');
            if (!row) throw new Error('not listed yet');
            return row.id;
          });
          await filled;
        },
      });
      await eventually(() => expect(aId).not.toBe(''), 20_000);
      // B: complete while A holds the slot, so it waits in the queue, its capture stored.
      const b = await request(`${url}/api/analyses?name=queued.pcap`, { method: 'POST', body: readFileSync(AAAA) });
      expect(b.status).toBe(201);
      expect((await request(`${url}/api/analyses/${b.json.id}`)).json.status).toBe('queued');

      disk.fill(24 * 1024); // room for A's last bytes and a row update or two, not for any report
      release();
      const aAnswer = await a;
      expect([201, 507], aAnswer.text).toContain(aAnswer.status);
      for (const id of [aId, b.json.id]) {
        const st = await settled(url, id, {}, 30_000);
        if (st.status === 404) continue; // A refused with 507: its row went with it
        expect(st.json.status, JSON.stringify(st.json)).toBe('failed');
        expect(st.json.reason).toMatch(/disk was full/);
      }
      // Still full: a new upload is refused with 507, not queued for ever.
      const refused = await request(`${url}/api/analyses?name=full.pcap`, { method: 'POST', body: readFileSync(SAME_PORT) });
      expect([201, 507]).toContain(refused.status);
      if (refused.status === 201) expect((await settled(url, refused.json.id)).json.status).toBe('failed');

      disk.empty();
      // Room again: the only slot is free, the next upload is analysed to the end.
      const after = await request(`${url}/api/analyses?name=after.pcap`, { method: 'POST', body: readFileSync(SAME_PORT) });
      expect(after.status, after.text).toBe(201);
      expect((await settled(url, after.json.id)).json.status).toBe('done');
      await eventually(() => expect(filesIn(dataDir).tmp).toEqual([]));
      expect(exited).toBeUndefined();
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(undefined)));
    }
  }, 120_000);

  it('starting on a full disk: one line, exit 2, nothing left listening (item 9)', async () => {
    const disk = smallDisk();
    // A data folder with an analysis left running: recovery has to write.
    const dataDir = join(disk.dir, 'data');
    const store = new Store(dataDir);
    store.insert('LEFTleftLEFTleftLEFT00', 'left.pcap', 'running', 10);
    store.close();
    disk.fill();
    expectOneLine(cli(['serve', '--port', '0', '--data', dataDir]), /^dualscope: --data .*: cannot start on it: (the disk is full \(SQLITE_FULL\)|the database could not be written \(is the disk full\?\) \(SQLITE_IOERR\w*\))$/);
    expectOneLine(cli(['serve', '--port', '0', '--data', join(disk.dir, 'fresh')]), /^dualscope: --data .*fresh: cannot start on it: /);
  }, 60_000);
});

describe('serve --data is checked as analyze checks its paths (item 10)', () => {
  it('under /proc or /sys: one line, exit 2, no spinning', () => {
    expectOneLine(cli(['serve', '--port', '0', '--data', '/proc/dualscope-h18/data']), /^dualscope: --data \/proc\/dualscope-h18\/data: \/proc is a kernel file system/);
    expectOneLine(cli(['serve', '--port', '0', '--data', '/sys/dualscope-h18']), /kernel file system/);
  });

  it('an existing file: one line, exit 2 (not 3)', () => {
    const file = join(tempDataDir(), 'a-file');
    writeFileSync(file, 'x');
    expectOneLine(cli(['serve', '--port', '0', '--data', file]), /^dualscope: --data .*a-file: it is not a folder$/);
    expectOneLine(cli(['serve', '--port', '0', '--data', join(file, 'below')]), /a-file is not a folder$/);
  });
});

describe('the database is as private as the captures (item 11)', () => {
  it('dualscope.db, -wal and -shm are 0600, also when an older version left them 0644', async () => {
    const dataDir = tempDataDir();
    const old = new Store(dataDir);
    old.insert('OLDoldOLDoldOLDoldOLD0', 'old.pcap', 'queued', 1);
    old.close();
    for (const f of ['dualscope.db', 'dualscope.db-wal', 'dualscope.db-shm']) if (existsSync(join(dataDir, f))) spawnSync('chmod', ['0644', join(dataDir, f)]);
    const server = await started({ dataDir });
    const up = await request(`${server.url}/api/analyses`, { method: 'POST', body: readFileSync(SAME_PORT) });
    expect((await settled(server.url, up.json.id)).json.status).toBe('done');
    for (const f of ['dualscope.db', 'dualscope.db-wal', 'dualscope.db-shm']) {
      expect((statSync(join(dataDir, f)).mode & 0o777).toString(8), f).toBe('600');
    }
    expect((statSync(join(dataDir, 'captures', `${up.json.id}.cap`)).mode & 0o777).toString(8)).toBe('600');
  });
});

describe('a stored capture interrupted by a crash is analysed again (re-queue)', () => {
  it('a running row whose capture is stored is queued again at start and ends done; one that crashed it twice is failed', async () => {
    const dataDir = tempDataDir();
    const store = new Store(dataDir);
    const stored = (id: string, status: 'running' | 'queued'): void => {
      store.insert(id, `${id}.pcap`, status, 0);
      copyFileSync(SAME_PORT, join(dataDir, 'tmp', id));
      store.storeCapture(id, join(dataDir, 'tmp', id), readFileSync(SAME_PORT).length);
    };
    stored('KILLEDkilledKILLEDkil0', 'running');
    stored('TWICEtwiceTWICEtwiceT0', 'running');
    for (let i = 0; i < MAX_ATTEMPTS; i++) store.startAnalysis('TWICEtwiceTWICEtwiceT0');
    store.close();
    const server = await started({ dataDir });
    const again = await settled(server.url, 'KILLEDkilledKILLEDkil0');
    expect(again.json).toMatchObject({ status: 'done', reason: null });
    const twice = (await request(`${server.url}/api/analyses/TWICEtwiceTWICEtwiceT0`)).json;
    expect(twice).toMatchObject({ status: 'failed', reason: INTERRUPTED_ANALYSIS });
  });
});

describe('idle uploads (item 6)', () => {
  /** An upload that sends its headers and a capture's first bytes, then nothing; resolves with the status it gets. */
  function idleUpload(url: string, from: string): Promise<number> {
    const { hostname, port } = new URL(url);
    return new Promise((resolveStatus) => {
      const socket = createConnection({ host: hostname, port: Number(port), localAddress: from });
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolveStatus(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
      socket.write(`POST /api/analyses HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Length: 100000\r\n\r\n`);
      socket.write(Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
    });
  }

  it('32 idle connections from one client hold at most its share, others upload meanwhile, and the idle ones get 408 on a timer', async () => {
    const server = await started({ uploadIdleMs: 1500 });
    const idle = Array.from({ length: 32 }, () => idleUpload(server.url, '127.0.0.2'));
    await eventually(() => expect(server.store.all().length).toBe(8)); // its share is in (each a listed capture)
    const other = await request(`${server.url}/api/analyses?name=meanwhile.pcap`, { method: 'POST', body: readFileSync(SAME_PORT), localAddress: '127.0.0.1' });
    expect(other.status, other.text).toBe(201);
    expect((await settled(server.url, other.json.id)).json.status).toBe('done');
    const statuses = await Promise.race([Promise.all(idle), sleep(30_000).then(() => 'still hanging')]);
    expect(statuses).not.toBe('still hanging');
    const counts = new Map<number, number>();
    for (const s of statuses as number[]) counts.set(s, (counts.get(s) ?? 0) + 1);
    // Its share (8) was admitted and timed out; the rest were refused at once.
    expect(counts.get(408)).toBe(8);
    expect(counts.get(503)).toBe(24);
    expect([...counts.keys()].sort()).toEqual([408, 503]);
    // Nothing of them is left: no row, no temp file.
    await eventually(() => expect(filesIn(server.dataDir).tmp).toEqual([]));
    expect(server.store.all().map((s) => s.name)).toEqual(['meanwhile.pcap']);
  }, 60_000);
});

describe('the list comes in pages (item 8)', () => {
  it('?limit and ?before page through every analysis once, newest first; bad values are 400', async () => {
    const dataDir = tempDataDir();
    const store = new Store(dataDir);
    const n = 2 * LIST_PAGE + 37;
    for (let i = 0; i < n; i++) store.insert(`ROW${String(i).padStart(19, '0')}`, `c${i}.pcap`, 'queued', i);
    store.close();
    const server = await started({ dataDir, workers: 1 });
    const seen: string[] = [];
    const sizes: number[] = [];
    let before: string | null = null;
    do {
      const page = await request(`${server.url}/api/analyses${before ? `?before=${encodeURIComponent(before)}` : ''}`);
      expect(page.status).toBe(200);
      sizes.push(page.json.analyses.length);
      seen.push(...page.json.analyses.map((a: { id: string }) => a.id));
      before = page.json.next;
    } while (before !== null);
    expect(sizes).toEqual([LIST_PAGE, LIST_PAGE, 37]);
    expect(new Set(seen).size).toBe(n);
    expect(seen[0]).toBe(`ROW${String(n - 1).padStart(19, '0')}`); // created last, listed first
    const small = await request(`${server.url}/api/analyses?limit=5`);
    expect(small.json.analyses).toHaveLength(5);
    expect(small.json.next).toEqual(expect.any(String));
    for (const bad of ['limit=0', 'limit=abc', 'limit=100000', 'before=nope']) {
      const r = await request(`${server.url}/api/analyses?${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.json.error).toMatch(/limit|before/);
    }
  });
});

describe('a pcapng flood uploaded (item 3, the service side)', () => {
  it('the link-type and interface floods are analysed within the bounds; the report says what was left out', async () => {
    const server = await started();
    for (const f of ['flood-link-types.pcapng.gz', 'flood-interfaces.pcapng.gz']) {
      const up = await request(`${server.url}/api/analyses?name=${f}`, { method: 'POST', body: readFileSync(resolve('test/fuzz/seeds', f)) });
      expect(up.status, up.text).toBe(201);
      const st = await settled(server.url, up.json.id);
      expect(st.json.status).toBe('done');
      expect(st.json.report.capture.linkTypes.length).toBeLessThanOrEqual(MAX_LINK_TYPES);
      expect(st.json.report.capture.interfaces).toBeLessThanOrEqual(MAX_INTERFACES);
      expect(st.json.report.anomalies['pcapng.table_limit']).toBeGreaterThan(0);
    }
  });
});
