// The CLI's option schemas as parseOptions applies them (the messages are checked where each command
// is tested: analyze-cli, live-options, serve-cli).
import { describe, expect, it } from 'vitest';
import { AnalyzeCliOptions, parseOptions } from '../../src/cli/options.js';
import { functionsCompiledBy } from '../support/compiled-code.js';

describe('parseOptions', () => {
  it('fills the defaults and compiles no code (options are parsed once per process)', () => {
    // A schema of its own, so nothing of it was compiled before.
    const schema = AnalyzeCliOptions.extend({});
    let parsed: AnalyzeCliOptions | undefined;
    const compiled = functionsCompiledBy(() => {
      parsed = parseOptions(schema, { dnsTimeout: '2', failOn: 'warning' });
    });
    expect(compiled).toEqual([]);
    expect(parsed).toMatchObject({ dnsTimeout: 2, failOn: 'warning', out: 'reports', write: true, color: true, force: false });
  });
});
