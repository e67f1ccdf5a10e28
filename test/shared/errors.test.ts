// The one mapping of what handlers throw to what Connect clients get: domain errors by kind, dependencies down, the unexpected.
import { Code, ConnectError } from "@connectrpc/connect";
import test from "ava";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { InvalidField, NotFound, TooLarge } from "../../services/shared/domain-errors.js";
import { toConnectError } from "../../services/shared/errors.js";
import { createLogger } from "../../services/shared/logger.js";

const logger = createLogger("errors-test", "silent");

test("errors - an invalid field is invalid_argument naming the field", (t) => {
  const err = toConnectError(new InvalidField("type", "type is required"), logger);
  t.is(err.code, Code.InvalidArgument);
  t.is(err.rawMessage, "type is required");
  t.like(err.findDetails(ErrorInfoSchema)[0], { reason: ErrorReason.INVALID_FIELD, field: "type" });
});

test("errors - a field too large is resource_exhausted naming the field", (t) => {
  const err = toConnectError(new TooLarge("data", "data is larger than 256 KiB"), logger);
  t.is(err.code, Code.ResourceExhausted);
  t.like(err.findDetails(ErrorInfoSchema)[0], { reason: ErrorReason.TOO_LARGE, field: "data" });
});

test("errors - something not found is not_found, saying what", (t) => {
  const err = toConnectError(new NotFound("subscription"), logger);
  t.is(err.code, Code.NotFound);
  t.is(err.rawMessage, "subscription not found");
});

test("errors - a dependency down is unavailable, and its cause is not sent", (t) => {
  const down = Object.assign(new Error("connect ECONNREFUSED 10.1.2.3:5432"), { code: "ECONNREFUSED" });
  const err = toConnectError(down, logger);
  t.is(err.code, Code.Unavailable);
  t.false(err.message.includes("10.1.2.3"));
});

test("errors - anything unexpected is internal, and its message is not sent", (t) => {
  const err = toConnectError(new TypeError("secret detail"), logger);
  t.is(err.code, Code.Internal);
  t.false(err.message.includes("secret detail"));
});

test("errors - a Connect error passes through as it is", (t) => {
  const original = new ConnectError("slow down", Code.ResourceExhausted);
  t.is(toConnectError(original, logger), original);
});
