// The opening of a self-contained report page (the HTML report and the correlation ladder): the
// policy in a <meta> (a file opened from disk has no headers), no referrer, the title, the style.
import { escapeHtml } from './escape.js';

/** Lines up to and including `<body>`; `title` is escaped here. */
export const reportPageHead = (csp: string, title: string, css: string): string[] => [
  '<!DOCTYPE html>',
  '<html lang="en"><head><meta charset="utf-8">',
  `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
  '<meta name="referrer" content="no-referrer">',
  '<meta name="viewport" content="width=device-width, initial-scale=1">',
  `<title>${escapeHtml(title)}</title>`,
  `<style>${css}</style>`,
  '</head><body>',
];
