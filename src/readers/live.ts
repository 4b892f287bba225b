// Live capture: a capture tool writes its capture file to a pipe and the same streaming reader as
// for files turns the bytes into frames. dumpcap (Wireshark) is preferred: pcapng with the kernel's
// nanosecond timestamps, original lengths, and an Interface Statistics Block with the drop count at
// the end. tcpdump is the fallback (classic pcap, nanosecond magic; drops from its exit summary).
// Why not a libpcap binding such as `cap`: it hands JavaScript neither the timestamp nor the
// original length (docs/live.md). The bytes can be teed into a file unchanged, so frame numbers in
// findings are that file's frame numbers.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Readable } from 'node:stream';
import { CaptureFormatError, type Anomalies } from '../core/index.js';
import type { ParserInfo } from './capture-parser.js';
import type { CaptureFormat, FrameHandler } from './frame.js';
import { readCaptureStream } from './read-capture.js';

export const LIVE_BACKENDS = ['dumpcap', 'tcpdump'] as const;
export type LiveBackendName = (typeof LIVE_BACKENDS)[number];

export interface LiveBackend {
  readonly name: LiveBackendName;
  /** Absolute path of the executable found on PATH. */
  readonly path: string;
  /** What the backend writes, and so what `writePath` holds. */
  readonly format: CaptureFormat;
}

export const LIVE_ERROR_CODES = ['no_backend', 'no_permission', 'no_interface', 'bad_filter', 'cannot_write', 'backend_failed'] as const;
export type LiveErrorCode = (typeof LIVE_ERROR_CODES)[number];

/** Live capture could not start. The message is one line saying what to install or how to run. */
export class LiveCaptureError extends Error {
  override readonly name = 'LiveCaptureError';
  constructor(
    readonly code: LiveErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const FORMAT: Record<LiveBackendName, CaptureFormat> = { dumpcap: 'pcapng', tcpdump: 'pcap' };
const INSTALL_HINT = 'install Wireshark\'s dumpcap (Debian/Ubuntu: apt-get install wireshark-common; Fedora: wireshark-cli) or tcpdump';
/** stderr kept for messages and the drop summary: the tail only, so hours of warnings stay bounded. */
const STDERR_KEEP = 16 * 1024;
/** After stop(): SIGINT lets the backend write its statistics; then SIGTERM, then SIGKILL. */
const STOP_TERM_AFTER_MS = 3000;
const STOP_KILL_AFTER_MS = 6000;

/** The first executable named `name` in the PATH-style list `searchPath`. */
function which(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** dumpcap, else tcpdump (or the one asked for), on `searchPath` (default: $PATH). */
export function findBackend(prefer: LiveBackendName | 'auto' = 'auto', searchPath: string = process.env.PATH ?? ''): LiveBackend {
  const names: readonly LiveBackendName[] = prefer === 'auto' ? LIVE_BACKENDS : [prefer];
  for (const name of names) {
    const path = which(name, searchPath);
    if (path !== undefined) return { name, path, format: FORMAT[name] };
  }
  const what = prefer === 'auto' ? 'neither dumpcap nor tcpdump' : prefer;
  throw new LiveCaptureError('no_backend', `live capture needs a capture tool and ${what} is on PATH: ${prefer === 'tcpdump' ? 'install tcpdump' : INSTALL_HINT}`);
}

/** The backend's command line. The filter is one argv element; `--` keeps tcpdump from reading it as options. */
export function backendArgs(backend: LiveBackendName, iface: string, filter: string | undefined): string[] {
  if (backend === 'dumpcap') return ['-i', iface, '-n', '-q', '-w', '-', ...(filter ? ['-f', filter] : [])];
  // -U with --immediate-mode: each packet reaches the pipe at once (no libpcap buffer timeout), so a
  // finding can be printed while the incident is still going on.
  return ['-i', iface, '--immediate-mode', '-U', '--time-stamp-precision=nano', '-w', '-', ...(filter ? ['--', filter] : [])];
}

/** Drops the backend reported on stderr: dumpcap's summary line, tcpdump's "dropped by kernel/interface". */
export function parseDrops(backend: LiveBackendName, stderr: string): number | undefined {
  let total: number | undefined;
  for (const line of stderr.split('\n')) {
    if (backend === 'dumpcap') {
      // Packets received/dropped on interface 'eth0': 15/0 (pcap:0/dumpcap:0/flushed:0/ps_ifdrop:0) (100.0%)
      const m = /^Packets received\/dropped on interface .*: (\d+)\/(\d+)/.exec(line);
      if (m) total = (total ?? 0) + Number(m[2]);
    } else {
      const m = /^(\d+) packets? dropped by (kernel|interface)/.exec(line.trim());
      if (m) total = (total ?? 0) + Number(m[1]);
    }
  }
  return total;
}

/** Turns the backend's complaint into one line saying what to do. */
export function classifyFailure(backend: LiveBackend, iface: string, filter: string | undefined, stderr: string, exit: string): LiveCaptureError {
  const text = stderr.toLowerCase();
  if (text.includes('permission') || text.includes('operation not permitted')) {
    return new LiveCaptureError(
      'no_permission',
      `no permission to capture on ${iface}: run as root, or give ${backend.path} the capabilities: setcap cap_net_raw,cap_net_admin=eip ${backend.path}`,
    );
  }
  if (text.includes('no such device') || text.includes('no device named') || text.includes("doesn't exist") || text.includes('no such interface')) {
    return new LiveCaptureError('no_interface', `no interface named "${iface}" (dualscope live --list shows them)`);
  }
  if (text.includes('capture filter') || text.includes("can't parse filter") || text.includes('syntax error')) {
    return new LiveCaptureError('bad_filter', `-f "${filter ?? ''}" is not a valid capture filter (pcap-filter syntax, e.g. "udp port 53 or icmp6")`);
  }
  return new LiveCaptureError('backend_failed', `${backend.name} ${exit}: ${lastMeaningfulLine(stderr) || 'no message'}`);
}

/** Last stderr line that says something (not the banner, not the privilege note). */
function lastMeaningfulLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('Capturing on') && !l.startsWith('Running as user') && !l.startsWith('tcpdump: listening on'));
  return lines[lines.length - 1] ?? '';
}

export interface LiveCaptureOptions {
  readonly iface: string;
  readonly filter?: string | undefined;
  /** Tee the backend's bytes, unchanged, into this file (pcapng from dumpcap, pcap from tcpdump). */
  readonly writePath?: string | undefined;
  readonly backend?: LiveBackendName | 'auto' | undefined;
  /** Where to look for the backend (default $PATH). */
  readonly searchPath?: string | undefined;
  /** The backend's first bytes arrived: the capture is running. */
  readonly onStart?: ((backend: LiveBackend) => void) | undefined;
}

export interface LiveResult {
  readonly backend: LiveBackend;
  /** The reader's info; droppedByInterface holds the larger of the ISB's and the backend's count. */
  readonly info: ParserInfo;
  /** The backend ended on its own with an error after the capture had started (the frames before count). */
  readonly warning: string | undefined;
  readonly bytesWritten: number;
}

/** A running capture. `done` settles after the backend has exited and every frame was delivered. */
export interface LiveCapture {
  readonly backend: LiveBackend;
  readonly done: Promise<LiveResult>;
  /** Stop cleanly (SIGINT: the backend flushes and writes its statistics). Safe to call twice. */
  stop(): void;
  /** Stop now (SIGKILL); statistics are lost. */
  kill(): void;
}

/**
 * Starts the backend on `iface` and feeds its stream to `onFrame`. Throws LiveCaptureError when no
 * backend is found or the output file cannot be created; `done` rejects with LiveCaptureError when
 * the backend exits before writing anything (privilege, interface, filter).
 */
export function startLiveCapture(opts: LiveCaptureOptions, onFrame: FrameHandler, anomalies: Anomalies): LiveCapture {
  const backend = findBackend(opts.backend ?? 'auto', opts.searchPath);
  let fd: number | undefined;
  if (opts.writePath !== undefined) {
    try {
      fd = openSync(opts.writePath, 'w');
    } catch (e) {
      throw new LiveCaptureError('cannot_write', `cannot write ${opts.writePath} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  const child = spawn(backend.path, backendArgs(backend.name, opts.iface, opts.filter), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let started = false;
  const markStarted = (): void => {
    if (started) return;
    started = true;
    opts.onStart?.(backend);
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    stderr += s;
    // tcpdump's pcap header reaches the pipe only with the first packet; its banner says it is running.
    if (backend.name === 'tcpdump' && stderr.includes('listening on')) markStarted();
    if (stderr.length > 2 * STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });

  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  const signal = (s: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(s);
  };
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    signal('SIGINT');
    timers.push(setTimeout(() => signal('SIGTERM'), STOP_TERM_AFTER_MS).unref());
    timers.push(setTimeout(() => signal('SIGKILL'), STOP_KILL_AFTER_MS).unref());
  };
  const kill = (): void => {
    stopping = true;
    signal('SIGKILL');
  };

  let bytesWritten = 0;
  let writeError: string | undefined;
  async function* tee(src: Readable): AsyncGenerator<Buffer> {
    for await (const chunk of src as AsyncIterable<Buffer>) {
      markStarted();
      if (fd !== undefined && writeError === undefined) {
        try {
          for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
          bytesWritten += chunk.length;
        } catch (e) {
          // Keep analysing; the report says the file is incomplete.
          writeError = `writing ${opts.writePath} failed after ${bytesWritten} bytes (${(e as NodeJS.ErrnoException).code ?? String(e)}); the file is incomplete`;
        }
      }
      yield chunk;
    }
  }

  const done = (async (): Promise<LiveResult> => {
    let info: ParserInfo | undefined;
    let readError: unknown;
    try {
      info = await readCaptureStream(`live:${opts.iface}`, Readable.from(tee(child.stdout!)), onFrame, anomalies);
    } catch (e) {
      readError = e;
    }
    if (info === undefined) stop(); // the stream broke: do not leave the backend running
    const { code, signal: sig } = await exited;
    for (const t of timers) clearTimeout(t);
    if (fd !== undefined) closeSync(fd);
    if (spawnError !== undefined) {
      removeEmpty(opts.writePath, bytesWritten);
      const why = spawnError.code === 'EACCES' ? `${backend.path} is not executable by this user` : `cannot run ${backend.path} (${spawnError.code ?? spawnError.message})`;
      throw new LiveCaptureError(spawnError.code === 'EACCES' ? 'no_permission' : 'backend_failed', why);
    }
    const exit = sig !== null ? `killed by ${sig}` : `exited with status ${code}`;
    if (info === undefined) {
      if (readError instanceof CaptureFormatError && readError.code === 'empty_file') {
        removeEmpty(opts.writePath, bytesWritten);
        throw classifyFailure(backend, opts.iface, opts.filter, stderr, exit);
      }
      throw new LiveCaptureError('backend_failed', `${backend.name}'s output could not be read: ${readError instanceof Error ? readError.message : String(readError)}`);
    }
    const reported = parseDrops(backend.name, stderr);
    if (reported !== undefined) info.droppedByInterface = Math.max(reported, info.droppedByInterface ?? 0);
    const failed = !stopping && (code !== 0 || sig !== null);
    const warning = [failed ? `${backend.name} ${exit}: ${lastMeaningfulLine(stderr) || 'no message'}` : undefined, writeError].filter(Boolean).join('; ') || undefined;
    return { backend, info, warning, bytesWritten };
  })();
  return { backend, done, stop, kill };
}

/** A file left empty by a capture that never started helps nobody. */
function removeEmpty(path: string | undefined, bytes: number): void {
  if (path === undefined || bytes > 0) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Interface names for `--list`: the backend's own list (`-D`), else the kernel's. */
export function listInterfaces(searchPath: string = process.env.PATH ?? ''): { source: string; lines: string[] } {
  for (const name of LIVE_BACKENDS) {
    const path = which(name, searchPath);
    if (path === undefined) continue;
    const r = spawnSync(path, ['-D'], { encoding: 'utf8', timeout: 10_000 });
    const lines = (r.stdout ?? '').split('\n').map((l) => l.trimEnd()).filter(Boolean);
    if (r.status === 0 && lines.length > 0) return { source: `${name} -D`, lines };
  }
  try {
    return { source: '/sys/class/net', lines: readdirSync('/sys/class/net').sort() };
  } catch {
    return { source: 'none', lines: [] };
  }
}
