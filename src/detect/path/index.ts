// The path detectors: PMTUD blackholes, PTB problems, IPv6 ⇄ IPv4 fallback delay, MSS clamping,
// failed neighbour discovery.
import type { PathRecord } from '../../reconstruct/path/index.js';
import type { Detector } from '../detector.js';
import { createFallbackDelay, DEFAULT_FALLBACK_DELAY_OPTIONS, type FallbackDelayOptions } from './fallback-delay.js';
import { createNeighborUnreachable, DEFAULT_NEIGHBOR_UNREACHABLE_OPTIONS, type NeighborUnreachableOptions } from './neighbor-unreachable.js';
import { createMssClamped, DEFAULT_MSS_CLAMPED_OPTIONS, type MssClampedOptions } from './mss-clamped.js';
import { createPmtudBlackhole, DEFAULT_PMTUD_BLACKHOLE_OPTIONS, type PmtudBlackholeOptions } from './pmtud-blackhole.js';
import { createPtbProblem, DEFAULT_PTB_PROBLEM_OPTIONS, type PtbProblemOptions } from './ptb-problem.js';

export { createFallbackDelay, createMssClamped, createNeighborUnreachable, createPmtudBlackhole, createPtbProblem };
export type { FallbackClass } from './fallback-delay.js';

export interface PathDetectOptions {
  readonly blackhole: Partial<PmtudBlackholeOptions>;
  readonly ptb: Partial<PtbProblemOptions>;
  readonly fallback: Partial<FallbackDelayOptions>;
  readonly mss: Partial<MssClampedOptions>;
  readonly neighbor?: Partial<NeighborUnreachableOptions>;
}

export const DEFAULT_PATH_DETECT_OPTIONS: { readonly blackhole: PmtudBlackholeOptions; readonly ptb: PtbProblemOptions; readonly fallback: FallbackDelayOptions; readonly mss: MssClampedOptions; readonly neighbor: NeighborUnreachableOptions } = {
  blackhole: DEFAULT_PMTUD_BLACKHOLE_OPTIONS,
  ptb: DEFAULT_PTB_PROBLEM_OPTIONS,
  fallback: DEFAULT_FALLBACK_DELAY_OPTIONS,
  mss: DEFAULT_MSS_CLAMPED_OPTIONS,
  neighbor: DEFAULT_NEIGHBOR_UNREACHABLE_OPTIONS,
};

export function createPathDetectors(options: Partial<PathDetectOptions> = {}): Detector<PathRecord>[] {
  return [
    createPmtudBlackhole(options.blackhole),
    createPtbProblem(options.ptb),
    createFallbackDelay(options.fallback),
    createMssClamped(options.mss),
    createNeighborUnreachable(options.neighbor),
  ];
}
