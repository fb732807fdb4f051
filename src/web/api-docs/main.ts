// The API reference at /api/docs: Scalar (its standalone bundle, which scripts/build-web.mjs copies into
// the assets and loads before this script) rendering the document the server serves. Everything comes from
// this origin: the page runs under the app's Content-Security-Policy (the `_headers` of the build).

interface ScalarGlobal {
  createApiReference(element: string, configuration: Record<string, unknown>): unknown;
}

const scalar = (globalThis as { Scalar?: ScalarGlobal }).Scalar;
if (!scalar) throw new Error("the Scalar bundle did not load");

scalar.createApiReference("#app", {
  url: "/api/openapi.json",
  // Each of these would reach Scalar's servers, which the policy refuses anyway: its web fonts, its
  // telemetry, the proxy its "try it" client sends other origins' requests through, its AI agent and MCP.
  withDefaultFonts: false,
  telemetry: false,
  proxyUrl: "",
  agent: { disabled: true },
  mcp: { disabled: true },
  // Its default theme is a stylesheet of ours (scripts/build-web.mjs): Scalar's <style> would be refused.
  theme: "none",
  // Its toolbar (on localhost only) offers to share and deploy the document through Scalar's services.
  showDeveloperTools: "never",
  showOperationId: true,
});
