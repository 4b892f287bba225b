// The upload page of a test server, opened in headless Chromium for the browser tests of the
// service (test/server/*.browser.test.ts): launched with the project's flags, watched from before
// the first request, and ready once its live updates (server-sent events) are connected.
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openWatched } from '../../support/browser.js';

export interface OpenedUploadPage {
  readonly browser: Browser;
  readonly page: Page;
  /** What must not happen on the page (watchPage): a test expects it empty, or only what it caused. */
  readonly problems: string[];
}

/**
 * Opens `serverUrl`'s upload page at this viewport. Requests are recorded, not blocked: the page
 * talks to its server (API, events, report pages) and to nothing else, so any other one is a problem.
 */
export async function openUploadPage(serverUrl: string, viewport: { width: number; height: number }): Promise<OpenedUploadPage> {
  const browser = await launchChromium();
  try {
    const home = `${serverUrl}/`;
    return { browser, ...(await openWatched(browser, home, { viewport, allowed: (u) => u.startsWith(home), ready: '#live[data-state="open"]' })) };
  } catch (e) {
    await browser.close();
    throw e;
  }
}
