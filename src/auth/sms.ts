import { serviceUnavailable } from "../lib/config";
import { log } from "../lib/log";

/** Delivers sign-in codes. Development keeps them in an outbox; production posts to an HTTP SMS gateway. */
export interface SmsSender {
  sendCode(phone: string, code: string): Promise<void>;
}

export function smsSender(env: Env): SmsSender {
  // Production bundles define DEV_ROUTES false (wrangler.toml): the outbox is not even in them.
  if ((typeof DEV_ROUTES === "undefined" || DEV_ROUTES) && env.ENVIRONMENT === "development") return devOutbox(env.DB);
  if (env.SMS_GATEWAY_URL && env.SMS_GATEWAY_TOKEN) return httpGateway(env.SMS_GATEWAY_URL, env.SMS_GATEWAY_TOKEN);
  throw serviceUnavailable("sms");
}

function devOutbox(db: D1Database): SmsSender {
  return {
    async sendCode(phone, code) {
      await db
        .prepare(
          "INSERT INTO dev_outbox (phone, code, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (phone) DO UPDATE SET code = ?2, created_at = ?3",
        )
        .bind(phone, code, Date.now())
        .run();
    },
  };
}

/**
 * Production adapter: POST {to, text} as JSON with a bearer token, the shape most SMS gateways accept
 * (docs/deploy.md). The code never appears in logs.
 */
function httpGateway(url: string, token: string): SmsSender {
  return {
    async sendCode(phone, code) {
      const res = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ to: phone, text: `Veche: ваш код ${code}. Никому его не сообщайте.` }),
      });
      if (!res.ok) {
        log.error("sms gateway refused", { status: res.status });
        throw new Error(`SMS gateway answered ${res.status}`);
      }
    },
  };
}

export async function lastDevCode(db: D1Database, phone: string): Promise<string | null> {
  const row = await db.prepare("SELECT code FROM dev_outbox WHERE phone = ?1").bind(phone).first<{ code: string }>();
  return row?.code ?? null;
}
