import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes flat NNNN_name.sql migrations that wrangler and the test setup apply.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
