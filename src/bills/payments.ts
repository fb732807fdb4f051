// The payment-provider boundary. Card data passes through to the provider and is never stored: a payment
// keeps the brand and last four digits only.

import { serviceUnavailable } from "../lib/config";
import { cardBrand } from "./cards";

export interface Card {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export interface ChargeRequest {
  amount: number;
  currency: string;
  card: Card;
  /** Forwarded to the provider so a retried charge cannot be applied twice on its side either. */
  idempotencyKey: string;
  description: string;
}

export interface ChargeResult {
  status: "succeeded" | "declined" | "pending";
  providerRef: string;
  brand: string;
  last4: string;
  declineReason?: string;
}

export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeResult>;
}

export const SANDBOX_CARDS = {
  succeeds: "4242424242424242",
  declined: "4000000000000002",
  /** Needs a later confirmation (as 3-D Secure does); dev: POST /api/v1/dev/payments/:id/confirm. */
  confirmsLater: "4000000000003220",
} as const;

/**
 * The sandbox provider (development and tests): the contract's test cards, plus one whose charge stays
 * pending until confirmed. Any other Luhn-valid number succeeds.
 */
export const sandboxProvider: PaymentProvider = {
  async charge({ card }) {
    const base = { providerRef: `sbx_${crypto.randomUUID()}`, brand: cardBrand(card.number), last4: card.number.slice(-4) };
    if (card.number === SANDBOX_CARDS.declined) return { ...base, status: "declined", declineReason: "card_declined" };
    if (card.number === SANDBOX_CARDS.confirmsLater) return { ...base, status: "pending" };
    return { ...base, status: "succeeded" };
  },
};

/**
 * The provider for this environment. A production adapter implements PaymentProvider against the
 * acquirer's API (docs/deploy.md describes the shape); until one is configured, production refuses to
 * take payments rather than pretend.
 */
export function paymentProvider(env: Env): PaymentProvider {
  // Production bundles define DEV_ROUTES false (wrangler.toml): the sandbox is not even in them.
  if ((typeof DEV_ROUTES === "undefined" || DEV_ROUTES) && env.ENVIRONMENT === "development") return sandboxProvider;
  throw serviceUnavailable("payments");
}
