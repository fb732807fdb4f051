import type { AnswerOf } from "../lib/api-call";
import type { components } from "../lib/api-schema";

// The shapes the console reads, as the server's route schemas declare them (src/web/lib/api-schema.ts,
// generated from the OpenAPI document): a change on the server that the console does not follow fails to
// type-check here. Items made in this tab are kept with the phone they were sent to, which answers to
// creation do not repeat.

/** The phone a new item was sent to, known to this tab before the list is read again. */
type SentTo = { citizenPhone?: string };

export type Bill = AnswerOf<"/agency/bills", "post">["bill"] & SentTo;
export type BillStatus = Bill["status"];

export type Form = AnswerOf<"/agency/forms", "get">["forms"][number];

export type Submission = AnswerOf<"/agency/submissions", "get">["submissions"][number];
export type SubmissionStatus = Submission["status"];
export type Attachment = Submission["attachments"][number];

/** As listed; one issued here lacks only what the list adds (its phone comes from the form). */
export type AgencyRecord = Omit<components["schemas"]["AgencyRecord"], "citizenPhone" | "statusIdx"> & SentTo;

export type ConsentRequest = AnswerOf<"/agency/consent-requests", "post">["consent"] & SentTo;
export type ConsentStatus = ConsentRequest["status"];

export type Delivery = AnswerOf<"/agency/webhook-deliveries", "get">["deliveries"][number];
export type DeliveryStatus = Delivery["status"];

export type AgencyProfile = AnswerOf<"/agency/me", "get">["agency"];

export type RecordType = AnswerOf<"/agencies/{id}/record-types", "get">["recordTypes"][number];
