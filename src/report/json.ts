// The JSON report as written to disk: validated against the schema, keys in schema order,
// findings already sorted by the analysis, so two runs over one file differ only in generatedAt.
import { DETECTORS, type DetectorRegistry } from '../detect/index.js';
import { reportSchemaOf, type Report } from './schema.js';

/** `registry`: the detectors that made the report (their kinds are the ones allowed). */
export function renderJson(report: Report, registry: DetectorRegistry = DETECTORS): string {
  const checked = reportSchemaOf(registry).parse(report); // the contract holds, or we fail loudly in tests
  return `${JSON.stringify(checked, null, 2)}\n`;
}
