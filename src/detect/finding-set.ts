// The findings of a run, merged by the one rule every caller must share (the analysis, live
// capture, the tests): the latest version of an id wins; an id is announced once; a detector that
// restates at finish() withdraws what it no longer stands by.
import type { Detector } from './detector.js';
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
 * A finding's texts, each made one flat string. V8 keeps a string built with `+` or a template as
 * a tree of its pieces (~32 B a piece) until something reads its characters; reading one makes it
 * flat, and the garbage collector then drops the tree. A finding lives until the report and its
 * summary alone has tens of pieces: on the edge file (2,254 findings) the trees were ~4 MB, about
 * three quarters of the findings' texts.
 */
function flattenTexts(f: Finding): void {
  flat(f.summary);
  flat(f.displayFilter);
  for (const e of f.evidence) {
    flat(e.role);
    if (e.detail !== undefined) flat(e.detail);
    if (e.src !== undefined) flat(e.src);
    if (e.dst !== undefined) flat(e.dst);
  }
}

const flat = (s: string): void => {
  s.charCodeAt(0);
};
