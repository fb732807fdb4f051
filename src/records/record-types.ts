// Record types: agencies publish a name and claim labels for each type they issue (PUT, their own types
// only, since the path names no agency: the token does); anyone lists an agency's types.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { getAgency } from "../agencies/store";
import { requireAgency } from "../auth/middleware";
import { database } from "../db";
import { ApiError, notFound } from "../lib/errors";
import { agencySecurity, iso, json, jsonBody, problems, router } from "../lib/hono";
import { RecordType } from "./issue";
import { ClaimMeta, Localized, RecordTypeBody } from "./metadata";
import { metaOf, putRecordType, type RecordTypeRow, recordTypesOf } from "./store";

const RecordTypeSchema = z
  .object({
    agencyId: z.string(),
    type: z.string(),
    name: Localized,
    claims: z.record(z.string(), ClaimMeta),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("RecordType");

const toRecordType = (row: RecordTypeRow) => ({
  agencyId: row.agencyId,
  type: row.type,
  ...metaOf(row),
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
});

/** The path's type, decoded (`https:%2F%2Fgov.example%2Fvct%2Fpassport` names `https://gov.example/vct/passport`). */
const TypeParam = z.object({
  type: z
    .string()
    .max(400)
    .openapi({ param: { name: "type", in: "path" }, description: "The record type, percent-encoded (a `/` as `%2F`)." }),
});

export const agencyRecordTypes = router().openapi(
  createRoute({
    method: "put",
    path: "/agency/record-types/{type}",
    operationId: "putRecordType",
    tags: ["records"],
    summary: "Publish the name and claim labels of one of the agency's record types (creates or replaces it)",
    description:
      "After SD-JWT VC Type Metadata. Records, presentations' verification and the official chat show these words in the reader's language; claims without a label show their raw names. `format: \"enum\"` with `values` (labels per value) is a Veche extension.",
    security: agencySecurity,
    middleware: requireAgency("records"),
    request: { params: TypeParam, body: jsonBody(RecordTypeBody) },
    responses: {
      200: json(z.object({ recordType: RecordTypeSchema }), "Stored."),
      ...problems([400, "validation_failed, invalid_record_type"], [401, "unauthorized"], [403, "insufficient_scope"]),
    },
  }),
  async (c) => {
    const { type } = c.req.valid("param");
    if (!RecordType.safeParse(type).success)
      throw new ApiError(
        400,
        "invalid_record_type",
        "The record type must be 1–100 printable characters without leading or trailing spaces.",
        {
          errors: [{ path: "type", message: "not a record type" }],
        },
      );
    const row = await putRecordType(database(c.env.DB), c.var.agency.agencyId, type, c.req.valid("json"));
    return c.json({ recordType: toRecordType(row) }, 200);
  },
);

export const publicRecordTypes = router().openapi(
  createRoute({
    method: "get",
    path: "/agencies/{id}/record-types",
    operationId: "listRecordTypes",
    security: [],
    tags: ["records"],
    summary: "The record types an agency publishes, with their names and claim labels",
    request: { params: z.object({ id: z.string().min(1).max(64) }) },
    responses: {
      200: json(z.object({ recordTypes: z.array(RecordTypeSchema) }), "The agency's record types, by type."),
      ...problems([404, "not_found"]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    if (!(await getAgency(c.env.DB, id))) throw notFound("agency");
    const rows = await recordTypesOf(database(c.env.DB), id);
    return c.json({ recordTypes: rows.map(toRecordType) }, 200);
  },
);
