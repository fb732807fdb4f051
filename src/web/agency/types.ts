import type { RecordDisplay } from "../lib/format";

// The shapes the console reads from the agency API (src/*/routes.ts). Fields a list endpoint may or may not
// send are optional, so the console shows what it gets.

export type BillStatus = "unpaid" | "processing" | "paid" | "cancelled";
export interface Bill {
  id: string;
  amount: number;
  currency: string;
  purpose: string;
  dueDate: string | null;
  externalRef: string;
  status: BillStatus;
  createdAt: string;
  paidAt: string | null;
  citizenPhone?: string;
}

export interface Form {
  id: string;
  key: string;
  version: number;
  title: string;
  schema: Record<string, unknown>;
  createdAt: string;
  prefill?: unknown;
}

export type SubmissionStatus = "submitted" | "in_review" | "approved" | "rejected";
export interface Attachment {
  id: string;
  contentType: string;
  size: number;
  filename?: string | null;
}
export interface Submission {
  id: string;
  formId: string;
  data: Record<string, unknown>;
  status: SubmissionStatus;
  comment: string | null;
  /** The human reference number ("2026-000123"), shown as "№ 2026-000123". */
  reference?: string | null;
  createdAt: string;
  updatedAt: string;
  attachments?: Attachment[];
  citizenPhone?: string;
}

export interface AgencyRecord {
  id: string;
  type: string;
  claims?: Record<string, unknown>;
  /** The type's name and claim labels in the console's language (the agency's record type). */
  display?: RecordDisplay;
  citizenPhone?: string;
  issuedAt?: string;
  createdAt?: string;
  expiresAt?: string | null;
  revoked: boolean;
  revokedAt?: string | null;
}

export type ConsentStatus = "requested" | "approved" | "denied" | "revoked" | "expired";
export interface ConsentRequest {
  id: string;
  scope: string;
  purpose: string;
  expiresAt: string;
  status: ConsentStatus;
  createdAt?: string;
  decidedAt?: string | null;
  citizenPhone?: string;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";
export interface Delivery {
  id: string;
  eventId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
}

export interface AgencyProfile {
  id: string;
  name: string;
  verified: boolean;
  webhookUrl: string | null;
  scopes: string[];
}
