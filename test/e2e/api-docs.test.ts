// The API reference at /api/docs: a page of the web build (Scalar's bundle served from our own assets, no
// CDN) that renders the server's OpenAPI document in a real browser under the app's Content-Security-Policy.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { launchBrowser, type Server, startServer } from "./harness.ts";

let server: Server;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("/api/docs is HTML whose scripts and stylesheets are all same-origin files of the build", async () => {
  const res = await fetch(`${server.origin}/api/docs`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  // The app's policy, unchanged: scripts and styles from this origin only, nothing inline.
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).not.toContain("unsafe-inline");
  const html = await res.text();
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
  expect(scripts.length).toBeGreaterThanOrEqual(2);
  // No inline script: every <script> loads a file.
  for (const tag of scripts) expect(tag, tag).toMatch(/\ssrc="/);
  const urls = [
    ...[...html.matchAll(/<script\b[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1] as string),
    ...[...html.matchAll(/<link\b[^>]*\shref="([^"]+)"/g)].map((m) => m[1] as string),
  ];
  expect(urls.length).toBeGreaterThanOrEqual(4);
  for (const url of urls) {
    // Root-relative paths on this origin, never another host (`//cdn…` included).
    expect(url, url).toMatch(/^\/[^/]/);
    const asset = await fetch(server.origin + url);
    expect(asset.status, url).toBe(200);
    expect(asset.headers.get("content-type"), url).toMatch(url.endsWith(".css") ? /^text\/css/ : /javascript/);
    // Hashed names: cached for a year, like every other asset.
    expect(asset.headers.get("cache-control"), url).toContain("immutable");
  }
  // The largest of them is Scalar's bundle (megabytes), which the Worker never imports (docs/performance.md).
  const sizes = await Promise.all(urls.map(async (url) => (await (await fetch(server.origin + url)).arrayBuffer()).byteLength));
  expect(Math.max(...sizes)).toBeGreaterThan(1_000_000);
});

test("the reference renders the document's operations in a browser, asking no other origin for anything", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const elsewhere: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => {
    if (new URL(r.url()).origin !== server.origin && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) elsewhere.push(r.url());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${server.origin}/api/docs`);
  await expect.poll(() => page.getByRole("heading", { name: "Veche API" }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
  // An operation by its summary, in the sidebar.
  await expect.poll(() => page.getByText("Send a sign-in code by SMS").count(), { timeout: 10_000 }).toBeGreaterThan(0);
  expect(errors).toEqual([]);
  expect(elsewhere).toEqual([]);
  await context.close();
});
