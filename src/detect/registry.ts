// Every detector, listed once. A detector file exports its entry (kind, records it reads, option
// defaults, factory, README row); this list is what the analysis runs, in this order, and where the
// incident kinds, the option defaults, `dualscope detectors`, the report schema's kind enum and the
// README table come from. Adding a detector is its file plus one line here.
//
// Order matters once: a detector that reads Explanations comes after every one that publishes them
// (each record goes through the detectors in this order).
import type { DnsRecord, PathRecord } from '../reconstruct/index.js';
import { CaptureView } from './capture-view.js';
import { Explanations, RecordScope, type Detector, type DetectorEntry } from './detector.js';
import { aaaaUnansweredDetector } from './dns/aaaa-unanswered.js';
import { largeResponseRiskDetector } from './dns/large-response-risk.js';
import { localZoneLeakDetector } from './dns/local-zone-leak.js';
import { resolverProfileDetector } from './dns/resolver-profile.js';
import { samePortReplyDropDetector } from './dns/same-port-reply-drop.js';
import { slowLookupDetector } from './dns/slow-lookup.js';
import { fallbackDelayDetector } from './path/fallback-delay.js';
import { mssClampedDetector } from './path/mss-clamped.js';
import { neighborUnreachableDetector } from './path/neighbor-unreachable.js';
import { pmtudBlackholeDetector } from './path/pmtud-blackhole.js';
import { ptbProblemDetector } from './path/ptb-problem.js';

export const DETECTORS = [
  samePortReplyDropDetector,
  aaaaUnansweredDetector,
  localZoneLeakDetector,
  slowLookupDetector,
  largeResponseRiskDetector,
  resolverProfileDetector,
  pmtudBlackholeDetector,
  ptbProblemDetector,
  fallbackDelayDetector,
  mssClampedDetector,
  neighborUnreachableDetector,
] as const;

/** A list of detectors to run: DETECTORS, or (in tests) DETECTORS and more. */
export type DetectorRegistry = readonly DetectorEntry[];

export type IncidentKind = (typeof DETECTORS)[number]['kind'];
export const INCIDENT_KINDS: readonly IncidentKind[] = DETECTORS.map((d) => d.kind);

/**
 * Options per incident kind, each a partial of that detector's defaults (typed for the registry's
 * kinds; a detector added to a registry at run time takes its options by kind too).
 */
export type DetectOptions = { readonly [E in (typeof DETECTORS)[number] as E['kind']]?: Partial<E['defaults']> } & { readonly [kind: string]: object | undefined };

/** Every detector's defaults by kind, for documentation and `dualscope detectors`. */
export const DEFAULT_DETECT_OPTIONS: { readonly [E in (typeof DETECTORS)[number] as E['kind']]: E['defaults'] } = Object.fromEntries(
  DETECTORS.map((d) => [d.kind, d.defaults]),
) as never;

export interface DetectorSet {
  readonly dns: Detector<DnsRecord>[];
  /** The path detectors, after the capture view's reader. */
  readonly path: Detector<PathRecord>[];
  /** Which hosts' inbound traffic the capture lacks, as the path records have shown so far. */
  readonly view: CaptureView;
  /** Which records the detectors count, and where each was made final (see RecordScope). */
  readonly scope: RecordScope;
}

/** The detectors of a registry, made with their options (by kind), grouped by the records they read. */
export function createDetectors(options: DetectOptions = {}, registry: DetectorRegistry = DETECTORS): DetectorSet {
  const explanations = new Explanations();
  const view = new CaptureView();
  const scope = new RecordScope();
  const byKind = options as Readonly<Record<string, object | undefined>>;
  const dns: Detector<DnsRecord>[] = [];
  // The view's reader first: every detector then sees the view as of the record it is given.
  const path: Detector<PathRecord>[] = [view.reader];
  for (const entry of registry) {
    const o = byKind[entry.kind] ?? {};
    if (entry.records === 'dns') dns.push(entry.create(o, explanations, view, scope));
    else path.push(entry.create(o, explanations, view, scope));
  }
  return { dns, path, view, scope };
}

/** The DNS detectors alone (tests that feed DNS records only). */
export const createDnsDetectors = (options: DetectOptions = {}): Detector<DnsRecord>[] => createDetectors(options).dns;
/** The path detectors alone (tests that feed path records only). */
export const createPathDetectors = (options: DetectOptions = {}): Detector<PathRecord>[] => createDetectors(options).path;

/** The README's "What it finds" table, from the registry (a test keeps README.md in step). */
export function readmeTable(registry: DetectorRegistry = DETECTORS): string {
  const rows = registry.map((d) => `| \`${d.kind}\`${d.readme.note !== undefined ? ` (${d.readme.note})` : ''} | ${d.readme.what} | ${d.readme.remedy} |`);
  return ['| kind | what | typical remedy |', '| --- | --- | --- |', ...rows].join('\n');
}
