// Headless Chromium for the tests of pages: Debian's, driven by playwright-core, kept off the network but for loopback.
import { type Browser, chromium } from "playwright-core";

/**
 * Chromium as root needs --no-sandbox; without the background-networking flags it keeps dialling Google's hosts,
 * which this machine refuses. hostRules map made-up host names to loopback, for pages of other origins.
 */
export function launchBrowser(hostRules: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...(hostRules.length > 0 ? [`--host-resolver-rules=${hostRules.join(", ")}`] : []),
    ],
  });
}
