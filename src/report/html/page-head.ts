// The opening of a self-contained report page (the HTML report and the correlation ladder): the
// policy in a <meta> (a file opened from disk has no headers), no referrer, the title, the style.
import { cspMeta, DOCTYPE, el, end, fragment, inlineStyle, start } from './markup.js';

/** Lines up to and including `<body>`; `title` is text, escaped by the markup builder. */
export const reportPageHead = (csp: string, title: string, css: string): string[] =>
  [
    DOCTYPE,
    fragment(start('html', { lang: 'en' }), start('head'), el('meta', { charset: 'utf-8' })),
    cspMeta(csp),
    el('meta', { name: 'referrer', content: 'no-referrer' }),
    el('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
    el('title', null, title),
    inlineStyle(css),
    fragment(end('head'), start('body')),
  ].map((m) => m.html);
