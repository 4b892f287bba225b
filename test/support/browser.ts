// Headless Chromium for the browser tests (Debian's chromium, driven by playwright-core): where it
// is, how it is launched, and what every test watches a page for. scripts/setup.sh installs it.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.DUALSCOPE_CHROMIUM ?? '/usr/bin/chromium';

/** Whether Chromium is there; when not, says which test file is skipped and why. */
export function haveChromium(testFile: string): boolean {
  const have = existsSync(CHROMIUM);
  if (!have) console.warn(`${testFile}: skipped, no Chromium at ${CHROMIUM} (scripts/setup.sh installs it as root)`);
  return have;
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

/**
 * Watches a page for what must not happen on it, from now on: console errors and warnings, page
 * errors, dialogs, Content-Security-Policy violations (reported by the page itself, so one is never
 * missed however the browser words its console message), and requests `allowed` refuses. With
 * `block`, refused requests are also aborted, so nothing leaves the machine. Returns the list it
 * fills; a test expects it empty.
 */
export async function watchPage(page: Page, allowed: (url: string) => boolean, o: { block?: boolean } = {}): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (!allowed(r.url())) problems.push(`request: ${r.url()}`);
  });
  await page.exposeBinding('__dualscopeCspViolation', (_source, what: string) => {
    problems.push(`CSP violation: ${what}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      void (window as unknown as { __dualscopeCspViolation(what: string): Promise<void> }).__dualscopeCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  if (o.block) await page.route('**/*', (route) => (allowed(route.request().url()) ? route.continue() : route.abort()));
  return problems;
}

/**
 * Opens `url` in a new page of `into` (a browser, or one of its contexts), at `viewport` if given,
 * watched from before its first request (watchPage with `allowed` and `block`), and waits for the
 * `ready` selector when given. `timeout`: the page's default for every wait (Playwright's 30 s otherwise).
 */
export async function openWatched(
  into: Browser | BrowserContext,
  url: string,
  o: { allowed: (url: string) => boolean; block?: boolean; ready?: string; timeout?: number; viewport?: { width: number; height: number } },
): Promise<{ page: Page; problems: string[] }> {
  const page = await into.newPage();
  if (o.viewport !== undefined) await page.setViewportSize(o.viewport);
  if (o.timeout !== undefined) page.setDefaultTimeout(o.timeout);
  const problems = await watchPage(page, o.allowed, { block: o.block });
  await page.goto(url);
  if (o.ready !== undefined) await page.waitForSelector(o.ready);
  return { page, problems };
}
