// `dualscope live` end to end, with real software: two network namespaces joined by a veth pair, a
// DNS server that answers A and ignores AAAA (INCIDENTS §2, a GSLB that only knows A), glibc's
// resolver (getent ahosts) as the client, and the built CLI capturing on the client's side. The
// finding must be printed while the capture is still running, and its evidence frames must be the
// right packets of the file --write saved. Skips (with the reason in its name) only where namespaces
// cannot be made (not root, no `ip netns`) or no capture tool is installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { readCapture } from '../../src/readers/index.js';
import { findBackend, type LiveBackend } from '../../src/readers/live.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(ROOT, 'dist/src/cli/main.js');

const PID = process.pid;
const NS_SERVER = `dsS${PID}`;
const NS_CLIENT = `dsC${PID}`;
const VETH_SERVER = `dsv${PID}s`;
const VETH_CLIENT = `dsv${PID}c`;
// ULA addresses only (RFC 4193); the lab never touches the host's own interfaces.
const SERVER = 'fd00:d5:0:1::53';
const CLIENT = 'fd00:d5:0:1::c';
// RFC 5737 documentation addresses: with IPv4 too the client is dual-stack, so glibc asks A and AAAA.
const SERVER4 = '198.51.100.53';
const CLIENT4 = '198.51.100.12';
const NAME = 'gslb.example.test';
const A_ADDRESS = [192, 0, 2, 80]; // RFC 5737 documentation address

/** Why the namespace test cannot run here, or undefined when it can. */
function whyNoLab(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return '`ip netns` is not available (install iproute2)';
  let backend: LiveBackend;
  try {
    backend = findBackend();
  } catch {
    return 'no capture tool (install wireshark-common for dumpcap, or tcpdump)';
  }
  // Root inside a container without CAP_SYS_ADMIN cannot make namespaces: probe once.
  const probe = `dsP${PID}`;
  const made = spawnSync('ip', ['netns', 'add', probe]);
  if (made.status !== 0) return `cannot create a network namespace here (${made.stderr.toString().trim()})`;
  spawnSync('ip', ['netns', 'del', probe]);
  void backend;
  return undefined;
}

const skipReason = whyNoLab();
const title = `live: prints dns.aaaa_unanswered while capturing, and --write's frame numbers match the evidence${skipReason ? ` — SKIPPED: ${skipReason}` : ''}`;

// A UDP DNS server on [::]:53 that answers A with one address and never answers AAAA.
const DNS_SERVER = String.raw`
import socket, struct, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('::', 53))
print('ready', flush=True)
A = bytes([${A_ADDRESS.join(',')}])
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12: continue
    qid, flags, qd = struct.unpack('!HHH', q[:6])
    if qd != 1: continue
    p = 12
    while p < len(q) and q[p] != 0: p += 1 + q[p]
    if p + 5 > len(q): continue
    qtype, qclass = struct.unpack('!HH', q[p + 1:p + 5])
    question = q[12:p + 5]
    if qtype == 28: continue  # the GSLB that only knows A: AAAA is silently ignored
    rd = flags & 0x0100
    if qtype == 1:
        answer = b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 60, 4) + A
        s.sendto(struct.pack('!HHHHHH', qid, 0x8400 | rd, 1, 1, 0, 0) + question + answer, peer)
    else:
        s.sendto(struct.pack('!HHHHHH', qid, 0x8400 | rd, 1, 0, 0, 0) + question, peer)
`;

const run = (args: string[]): void => {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr.trim()}`);
};

/** Lines of a child's stream as they arrive, with a waiter for a line matching a predicate. */
class Lines {
  readonly lines: string[] = [];
  #partial = '';
  #waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8');
    stream.on('data', (s: string) => {
      const parts = (this.#partial + s).split('\n');
      this.#partial = parts.pop()!;
      for (const l of parts) {
        this.lines.push(l);
        this.#waiters = this.#waiters.filter((w) => (w.test(l) ? (w.resolve(l), false) : true));
      }
    });
  }
  wait(test: (l: string) => boolean, ms: number, what: string): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; saw:\n${this.lines.join('\n')}`)), ms);
      this.#waiters.push({ test, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }
}

const exited = (p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve({ code: p.exitCode, signal: p.signalCode })
    : new Promise((resolve) => p.once('exit', (code, signal) => resolve({ code, signal })));

/** The DNS message of an Ethernet/IPv6/UDP frame, hand-decoded (independent of src/decode). */
function dnsOf(data: Buffer): { src: string; dst: string; sport: number; dport: number; qr: boolean; qname: string; qtype: number } | undefined {
  if (data.length < 14 + 40 + 8 + 12 || data.readUInt16BE(12) !== 0x86dd || data[14 + 6] !== 17) return undefined;
  const ip = data.subarray(14);
  const addr = (off: number): string => {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(ip.readUInt16BE(off + i).toString(16));
    return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1); // RFC 5952 text
  };
  const udp = ip.subarray(40);
  const dns = udp.subarray(8);
  const labels: string[] = [];
  let p = 12;
  while (p < dns.length && dns[p] !== 0) {
    labels.push(dns.subarray(p + 1, p + 1 + dns[p]!).toString('latin1'));
    p += 1 + dns[p]!;
  }
  return {
    src: addr(8), dst: addr(24), sport: udp.readUInt16BE(0), dport: udp.readUInt16BE(2),
    qr: (dns[2]! & 0x80) !== 0, qname: labels.join('.'), qtype: dns.readUInt16BE(p + 1),
  };
}

describe('dualscope live in network namespaces', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dualscope-live-'));
  const pcapng = join(tmp, 'live.pcapng');
  const children: ChildProcess[] = [];

  beforeAll(() => {
    if (skipReason) return;
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npm run build, or scripts/setup.sh)`);
    run(['ip', 'netns', 'add', NS_SERVER]);
    run(['ip', 'netns', 'add', NS_CLIENT]);
    run(['ip', 'link', 'add', VETH_SERVER, 'netns', NS_SERVER, 'type', 'veth', 'peer', 'name', VETH_CLIENT, 'netns', NS_CLIENT]);
    for (const [ns, dev, addr, addr4] of [[NS_SERVER, VETH_SERVER, SERVER, SERVER4], [NS_CLIENT, VETH_CLIENT, CLIENT, CLIENT4]] as const) {
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      run(['ip', '-n', ns, 'addr', 'add', `${addr}/64`, 'dev', dev, 'nodad']);
      run(['ip', '-n', ns, 'addr', 'add', `${addr4}/24`, 'dev', dev]);
      run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    }
    // `ip netns exec` bind-mounts this over /etc/resolv.conf for the client's processes.
    mkdirSync(`/etc/netns/${NS_CLIENT}`, { recursive: true });
    writeFileSync(`/etc/netns/${NS_CLIENT}/resolv.conf`, `nameserver ${SERVER}\noptions timeout:1 attempts:2\n`);
  });

  afterAll(async () => {
    // Our children first (SIGTERM lets dualscope stop its capture tool), then anything still
    // inside the namespaces, by pid.
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited(c);
      clearTimeout(t);
    }
    if (!skipReason) {
      for (const ns of [NS_CLIENT, NS_SERVER]) {
        const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
        for (const pid of pids.split('\n').map(Number).filter((n) => n > 0)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      spawnSync('ip', ['netns', 'del', NS_CLIENT]);
      spawnSync('ip', ['netns', 'del', NS_SERVER]); // deleting a namespace removes its end of the veth pair
      rmSync(`/etc/netns/${NS_CLIENT}`, { recursive: true, force: true });
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it.skipIf(skipReason !== undefined)(title, async () => {
    const started = performance.now();
    const server = spawn('ip', ['netns', 'exec', NS_SERVER, 'python3', '-u', '-c', DNS_SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(server);
    await new Lines(server.stdout!).wait((l) => l === 'ready', 10_000, 'the DNS server');

    // `ip netns exec` execs node in place: the pid is dualscope's own, so SIGINT reaches it.
    const live = spawn('ip', ['netns', 'exec', NS_CLIENT, process.execPath, MAIN, 'live', '-i', VETH_CLIENT, '--write', pcapng, '--ndjson', '--dns-timeout', '2', '--fail-on', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(live);
    const out = new Lines(live.stdout!);
    const err = new Lines(live.stderr!);
    await err.wait((l) => l.includes('capturing on'), 15_000, 'the capture to start');

    // glibc asks A and AAAA of one getaddrinfo() back to back; AAAA is never answered, so after
    // its retries it returns the A address alone.
    const client = spawnSync('ip', ['netns', 'exec', NS_CLIENT, 'getent', 'ahosts', NAME], { encoding: 'utf8', timeout: 20_000 });
    expect(client.stdout).toContain(A_ADDRESS.join('.'));

    // The finding must come while the capture still runs: dualscope has not been asked to stop.
    const isFinding = (l: string): boolean => l.includes('"dns.aaaa_unanswered"');
    const whileRunning = await out.wait(isFinding, 20_000, 'a dns.aaaa_unanswered finding on stdout').catch(() => undefined);
    const runningWhenPrinted = live.exitCode === null && live.signalCode === null;

    live.kill('SIGINT');
    const { code, signal } = await exited(live);
    expect(signal).toBeNull();
    expect(code).toBe(1); // --fail-on info with a finding
    expect(err.lines.join('\n')).toMatch(/\d+ packets/); // the summary went to stderr (stdout is NDJSON)
    for (const l of out.lines.filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
    const line = whileRunning ?? out.lines.find(isFinding);
    expect(line, 'a dns.aaaa_unanswered finding on stdout, even at the end').toBeDefined();
    const finding = JSON.parse(line!) as { kind: string; names: string[]; evidence: { frame: number; time: number; role: string }[] };
    expect(finding.kind).toBe('dns.aaaa_unanswered');
    expect(finding.names).toContain(NAME);

    // The evidence frames are the AAAA queries and the A exchange, at those numbers in the saved file.
    const frames = new Map<number, { time: number; dns: ReturnType<typeof dnsOf> }>();
    const info = await readCapture(pcapng, (f) => frames.set(f.index, { time: f.time, dns: dnsOf(f.data) }), new Anomalies());
    expect(info.format).toBe(findBackend().format);
    expect(finding.evidence.length).toBeGreaterThanOrEqual(3);
    const roles = finding.evidence.map((e) => e.role);
    expect(roles.some((r) => r.startsWith('AAAA'))).toBe(true);
    expect(roles.some((r) => r.startsWith('A reply'))).toBe(true);
    for (const e of finding.evidence) {
      const f = frames.get(e.frame);
      expect(f, `frame ${e.frame} (${e.role}) is in ${pcapng}`).toBeDefined();
      expect(f!.time).toBe(e.time);
      const d = f!.dns;
      expect(d, `frame ${e.frame} is DNS over UDP/IPv6`).toBeDefined();
      expect(d!.qname).toBe(NAME);
      const isReply = e.role.includes('reply') && !e.role.includes('no reply');
      expect(d!.qr, `frame ${e.frame}: ${e.role}`).toBe(isReply);
      expect(d!.qtype, `frame ${e.frame}: ${e.role}`).toBe(e.role.startsWith('AAAA') ? 28 : 1);
      if (isReply) expect([d!.src, d!.sport, d!.dst]).toEqual([SERVER, 53, CLIENT]);
      else expect([d!.src, d!.dst, d!.dport]).toEqual([CLIENT, SERVER, 53]);
    }
    console.log(`live namespace test: ${Math.round(performance.now() - started)} ms, ${frames.size} frames captured`);
    // Last, so that the file checks above run either way: printed while capturing, not at the end.
    expect(
      whileRunning !== undefined && runningWhenPrinted,
      'dns.aaaa_unanswered was printed only after SIGINT: a detector that holds its findings until finish() cannot report live',
    ).toBe(true);
  });

  const tcpdumpSkip = skipReason ?? (spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0 ? undefined : 'tcpdump is not installed');
  it.skipIf(tcpdumpSkip !== undefined)(`live --backend tcpdump --duration: stops on its own, writes pcap (ns) and a JSON report of the same packets${tcpdumpSkip ? ` — SKIPPED: ${tcpdumpSkip}` : ''}`, async () => {
    const pcap = join(tmp, 'live.pcap');
    const json = join(tmp, 'live.json');
    const live = spawn('ip', ['netns', 'exec', NS_CLIENT, process.execPath, MAIN, 'live', '-i', VETH_CLIENT, '--backend', 'tcpdump', '--duration', '2', '-f', 'icmp6 or udp', '--write', pcap, '--json', json, '-q'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(live);
    const err = new Lines(live.stderr!);
    await err.wait((l) => l.includes('capturing on'), 15_000, 'the capture to start');
    spawnSync('ip', ['netns', 'exec', NS_CLIENT, 'ping', '-6', '-c', '3', '-i', '0.2', SERVER], { timeout: 5000 });
    const { code, signal } = await exited(live);
    expect([code, signal]).toEqual([0, null]);
    expect(err.lines.join('\n')).toContain(`${pcap} holds pcap`);
    const { readFileSync } = await import('node:fs');
    const report = JSON.parse(readFileSync(json, 'utf8')) as { capture: { packets: number; format: string; resolution: string; droppedByCapture: number | null } };
    let n = 0;
    const info = await readCapture(pcap, () => n++, new Anomalies());
    expect(info.format).toBe('pcap');
    expect(info.resolution).toBe('ns');
    expect(n).toBeGreaterThanOrEqual(6); // 3 echo requests and 3 replies
    expect(report.capture).toMatchObject({ packets: n, format: 'pcap', resolution: 'ns', droppedByCapture: 0 });
  });
});
