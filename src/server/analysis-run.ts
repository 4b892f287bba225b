// One analysis as the service runs it: frames in, one report out, and then nothing of it held.
// The run is referenced for as long as its upload or its reader is (the frame callback, the
// Upload object, the progress closure), which is past the moment its report is made; holding the
// Analysis itself there kept its state (the edge bench's first 400 k packets: ~14 MB after
// finish) alive while both reports were rendered and written.
import { Analysis } from '../analyze.js';
import type { Anomalies } from '../core/index.js';
import type { CaptureInfo, Frame } from '../readers/index.js';
import type { Report } from '../report/index.js';

export class AnalysisRun {
  #analysis: Analysis | undefined = new Analysis();
  readonly anomalies: Anomalies = this.#analysis!.anomalies;

  frame(frame: Frame): void {
    this.#analysis!.frame(frame);
  }

  /** Frames analysed so far (all of them once the report is made). */
  get packets(): number {
    return this.#analysis?.packets ?? this.#packets;
  }
  #packets = 0;

  /** The report, made once; the analysis is let go of as it is made. */
  takeReport(name: string, info: CaptureInfo): Report {
    const analysis = this.#analysis;
    if (analysis === undefined) throw new Error('dualscope: this analysis already made its report');
    this.#analysis = undefined;
    this.#packets = analysis.packets;
    return analysis.finish(name, info);
  }
}
