// The committed OpenAPI document, its operations by id, and validation of values against its schemas.
import fs from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setShouldValidateFormat, validate } from "@hyperjump/json-schema/openapi-3-1";

// Formats are only notes in JSON Schema 2020-12 unless asked for: a time that is not RFC 3339 should fail.
setShouldValidateFormat(true);

export const documentPath = fileURLToPath(new URL("../../openapi/triggers.v1.openapi.json", import.meta.url));

type Json = any;

export const openApi: Json = JSON.parse(fs.readFileSync(documentPath, "utf8"));

export interface Operation {
  id: string;
  verb: string;
  template: string;
  spec: Json;
  /** JSON pointer of the operation inside the document. */
  pointer: string;
}

const pointerSegment = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");

export const operations: Operation[] = Object.entries(openApi.paths).flatMap(([template, verbs]) =>
  Object.entries(verbs as Json).map(([verb, spec]) => ({
    id: (spec as Json).operationId,
    verb: verb.toUpperCase(),
    template,
    spec,
    pointer: `/paths/${pointerSegment(template)}/${verb}`,
  })),
);

export function operation(id: string): Operation {
  const found = operations.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`the document has no operation ${id}`);
  return found;
}

/** The errors found validating value against the schema at pointer (a JSON pointer inside the document); empty when valid. */
export async function schemaErrors(pointer: string, value: unknown): Promise<string[]> {
  const fragment = pointer.split("/").map(encodeURIComponent).join("/");
  const output = await validate(`${pathToFileURL(documentPath).href}#${fragment}`, value as Json, "BASIC");
  if (output.valid) return [];
  return (output.errors ?? []).map(
    (error) => `${error.instanceLocation}: ${error.keyword} at ${error.absoluteKeywordLocation.split("#")[1]}`,
  );
}

/** The pointer of an answer's JSON schema: the operation's own for its status, or the shared error response it refers to. */
export function answerPointer(op: Operation, status: number): string {
  const response = op.spec.responses[String(status)] ?? op.spec.responses.default;
  if (!response) throw new Error(`${op.id} documents no answer ${status}`);
  const base = response.$ref ? response.$ref.slice(1) : `${op.pointer}/responses/${status in op.spec.responses ? status : "default"}`;
  const mediaType = status === 200 && op.spec.responses["200"]?.content?.["text/event-stream"] ? "text/event-stream" : "application/json";
  return `${base}/content/${pointerSegment(mediaType)}/schema`;
}

export function requestPointer(op: Operation, mediaType = "application/json"): string {
  return `${op.pointer}/requestBody/content/${pointerSegment(mediaType)}/schema`;
}
