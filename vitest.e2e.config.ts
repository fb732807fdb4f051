import { defineConfig } from "vitest/config";

// Browser tests (test/e2e): plain Node, each file starts the real server and a headless chromium, one file
// at a time (every file's server and browser would otherwise compete for the same two cores).
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    silent: "passed-only",
  },
});
