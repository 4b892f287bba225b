// The JSON report as written to disk: validated against the schema, keys in schema order,
// findings already sorted by the analysis, so two runs over one file differ only in generatedAt.
import { Report } from './schema.js';

export function renderJson(report: Report): string {
  const checked = Report.parse(report); // the contract holds, or we fail loudly in tests
  return `${JSON.stringify(checked, null, 2)}\n`;
}
