// The SDK's TriggersError tells the status the REST API gives each error: its table must stay the gateway's.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import test from "ava";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { TriggersError } from "../../sdk/src/triggers-error.js";
import { httpStatus } from "../../services/gateway/http-errors.js";

function answeredError(code: Code, reason?: ErrorReason): ConnectError {
  const details = reason === undefined ? [] : [{ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason }) }];
  return new ConnectError("refused", code, { "content-type": "application/json" }, details);
}

test("sdk - an error's status is the one the gateway's REST API answers, for every code and for the reasons REST tells apart", (t) => {
  const codes = Object.values(Code).filter((code): code is Code => typeof code === "number");
  const cases = [
    ...codes.map((code) => answeredError(code)),
    answeredError(Code.ResourceExhausted, ErrorReason.TOO_LARGE),
    answeredError(Code.ResourceExhausted, ErrorReason.RATE_LIMITED),
    answeredError(Code.FailedPrecondition, ErrorReason.IDEMPOTENCY_KEY_REUSED),
  ];
  for (const err of cases) t.is(new TriggersError(err).status, httpStatus(err), Code[err.code]);
});
