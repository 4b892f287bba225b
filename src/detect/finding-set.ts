// The findings of a run, merged by the one rule every caller must share (the analysis, live
// capture, the tests): the latest version of an id wins; an id is announced once; a detector that
// restates at finish() withdraws what it no longer stands by.
import type { Detector } from './detector.js';
import { flatText } from './evidence.js';
import type { Finding } from './finding.js';

export class FindingSet {
  readonly #findings = new Map<string, Finding>();
  readonly #idsBy = new Map<Detector<never>, Set<string>>();

  /** Adds what a detector returned; returns the findings whose id is new (to announce). */
  add(detector: Detector<never>, findings: readonly Finding[]): Finding[] {
    if (findings.length === 0) return findings as Finding[];
    let ids = this.#idsBy.get(detector);
    if (ids === undefined) this.#idsBy.set(detector, (ids = new Set()));
    const fresh: Finding[] = [];
    for (const f of findings) {
      flattenTexts(f);
      if (!this.#findings.has(f.id)) fresh.push(f);
      this.#findings.set(f.id, f);
      ids.add(f.id);
    }
    return fresh;
  }

  /** Calls detector.finish() and merges it; returns the findings whose id is new. */
  finish(detector: Detector<never>): Finding[] {
    const final = detector.finish();
    if (detector.restatesAtFinish) {
      const keep = new Set(final.map((f) => f.id));
      for (const id of this.#idsBy.get(detector) ?? []) if (!keep.has(id)) this.#findings.delete(id);
    }
    return this.add(detector, final);
  }

  values(): Finding[] {
    return [...this.#findings.values()];
  }
}

/**
 * A finding's texts, each made one flat string (see flatText). A finding lives until the report
 * and its summary alone has tens of pieces: on the edge file (2,254 findings) the trees were
 * ~4 MB, about three quarters of the findings' texts; the ids, impacts and reasons left as trees
 * another ~0.6 MB (edge 2 M).
 */
function flattenTexts(f: Finding): void {
  flatText(f.id);
  flatText(f.summary);
  flatText(f.displayFilter);
  flatText(f.impact.description);
  flatText(f.confidence.reason);
  for (const e of f.evidence) {
    flatText(e.role);
    if (e.detail !== undefined) flatText(e.detail);
    if (e.src !== undefined) flatText(e.src);
    if (e.dst !== undefined) flatText(e.dst);
  }
}
