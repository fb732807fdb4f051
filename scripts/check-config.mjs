// `npm run check`: what wrangler's own validation cannot know about wrangler.toml, for every environment.
// - Data residency (docs/deploy.md): JURISDICTION is one the storage products all offer, empty in development
//   (workerd has no jurisdictions), and the R2 bucket is bound in the same one. D1 and the queues take theirs at
//   creation only, which no config shows: the deploy steps create them with it.
// - Observability: logs and traces on, query strings redacted (the socket ticket travels in one).
// - Secrets: production requires every secret .dev.vars.example names, and docs/deploy.md's table lists each.
import { readFileSync } from "node:fs";
import { unstable_readConfig } from "wrangler";

const JURISDICTIONS = ["", "eu", "us", "fedramp"];
const ENVIRONMENTS = [undefined, "production"];

const problems = [];
const exampleSecrets = [...readFileSync(".dev.vars.example", "utf8").matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]);
const deployDoc = readFileSync("docs/deploy.md", "utf8");

for (const env of ENVIRONMENTS) {
  const where = env ? `[env.${env}]` : "top level";
  const config = unstable_readConfig({ config: "wrangler.toml", env });
  const jurisdiction = config.vars.JURISDICTION;
  if (typeof jurisdiction !== "string" || !JURISDICTIONS.includes(jurisdiction)) {
    problems.push(`${where}: JURISDICTION must be one of ${JURISDICTIONS.map((j) => `"${j}"`).join(", ")}`);
  } else if (config.vars.ENVIRONMENT === "development" && jurisdiction !== "") {
    problems.push(`${where}: JURISDICTION must be "" in development; the local runtime has no jurisdictions`);
  }
  for (const bucket of config.r2_buckets) {
    if ((bucket.jurisdiction ?? "") !== jurisdiction) {
      problems.push(
        `${where}: R2 bucket ${bucket.bucket_name} is in jurisdiction "${bucket.jurisdiction ?? ""}", JURISDICTION is "${jurisdiction}"`,
      );
    }
  }
  const o = config.observability ?? {};
  if (!o.enabled || !o.logs?.enabled || !o.traces?.enabled || !o.redact_query_string) {
    problems.push(`${where}: observability needs logs and traces enabled and redact_query_string = true`);
  }
  const required = config.secrets?.required ?? [];
  if (env === "production") {
    for (const name of exampleSecrets) if (!required.includes(name)) problems.push(`${where}: secrets.required lacks ${name}`);
    for (const name of required) {
      if (!exampleSecrets.includes(name)) problems.push(`.dev.vars.example lacks ${name}, which ${where} requires`);
      if (!deployDoc.includes(`\`${name}\``)) problems.push(`docs/deploy.md's secrets table lacks ${name}`);
    }
  }
}

if (problems.length > 0) {
  console.error(`wrangler.toml:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
console.log("wrangler.toml: residency, observability and secrets consistent in every environment.");
