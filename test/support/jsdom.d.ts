// jsdom ships no types and @types/jsdom is not installed: just what the tests use (parsing a page
// as a browser would, without running its scripts).
declare module 'jsdom' {
  export class JSDOM {
    constructor(html: string);
    readonly window: { readonly document: Document };
  }
}
