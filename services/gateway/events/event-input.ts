// An event's JSON, as REST clients send it, read into the EventInput the write path checks.
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { type EventInput, EventInputSchema } from "../../../gen/triggers/v1/event_pb.js";
import { maxDataDepth } from "../../shared/api-limits.js";
import { InvalidField } from "../../shared/domain-errors.js";
import { decodeJson, isObject } from "../rest-messages.js";

/**
 * The data goes on as the JSON text it came as: decoding it into a Struct, only for the rules to write it back
 * as text, was the largest cost of a publish. prefix names the event inside a batch ("events[3].").
 */
export function eventInput(json: JsonValue, prefix = ""): EventInput {
  if (!isObject(json)) throw new InvalidField(prefix.slice(0, -1), `${prefix ? prefix.slice(0, -1) : "the event"} must be a JSON object`);
  const { data, ...attributes } = json;
  const input = decodeJson(EventInputSchema, attributes, (path) => `${prefix}${path}`);
  if (data === undefined || data === null) return input;
  if (!isObject(data)) throw new InvalidField(`${prefix}data`, `invalid value for "${prefix}data": data must be a JSON object`);
  if (input.dataJson.length > 0) throw new InvalidField(`${prefix}data_json`, "set data or data_json, not both");
  input.dataJson = Buffer.from(dataText(data, prefix));
  return input;
}

/**
 * JSON.stringify recurses: data nested a few thousand levels deep, some KiB of brackets and well within a body,
 * overflowed the stack, and the request failed as an internal error. The rules refuse such data anyway.
 */
function dataText(data: JsonObject, prefix: string): string {
  try {
    return JSON.stringify(data);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new InvalidField(`${prefix}data`, `data is nested deeper than ${maxDataDepth} levels`);
  }
}
