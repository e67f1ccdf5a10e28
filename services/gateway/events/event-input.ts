// An event's JSON, as REST clients send it, read into the EventInput the write path checks.
import type { JsonValue } from "@bufbuild/protobuf";
import { type EventInput, EventInputSchema } from "../../../gen/triggers/v1/event_pb.js";
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
  input.dataJson = Buffer.from(JSON.stringify(data));
  return input;
}
