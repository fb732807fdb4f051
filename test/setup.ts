import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Migrations are idempotent (applied ones are recorded), so each test file may run this safely.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
