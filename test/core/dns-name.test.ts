import { describe, expect, it } from 'vitest';
import { normalName } from '../../src/core/index.js';

describe('normalName', () => {
  it('lowers the case and drops one trailing dot, as toLowerCase() and the regex would', () => {
    for (const name of ['www.example.com', 'WWW.Example.COM.', 'example.com.', '.', '', 'a..', 'Ünïcode.Example', '\\065bc.example.']) {
      expect(normalName(name)).toBe(name.toLowerCase().replace(/\.$/, ''));
    }
  });

  it('hands back the same string when there is nothing to change', () => {
    const name = ['mail', 'example', 'org'].join('.'); // a string made at run time, not a literal
    expect(normalName(name)).toBe(name);
  });
});
