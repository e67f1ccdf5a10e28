// What we rely on of connect-es's private protocol exports, which do not follow semver: an upgrade that changes one fails here.
import { Code, ConnectError } from "@connectrpc/connect";
import test from "ava";
import { ErrorInfoSchema, ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { codeFromString, codeToHttpStatus, codeToString, errorToJson } from "../../services/shared/connect-protocol.js";
import { apiJson } from "../../services/shared/json.js";

// The Connect protocol's names and HTTP statuses, which the README's table of errors and the SDK repeat.
const protocol: [Code, string, number][] = [
  [Code.Canceled, "canceled", 499],
  [Code.Unknown, "unknown", 500],
  [Code.InvalidArgument, "invalid_argument", 400],
  [Code.DeadlineExceeded, "deadline_exceeded", 504],
  [Code.NotFound, "not_found", 404],
  [Code.AlreadyExists, "already_exists", 409],
  [Code.PermissionDenied, "permission_denied", 403],
  [Code.ResourceExhausted, "resource_exhausted", 429],
  [Code.FailedPrecondition, "failed_precondition", 400],
  [Code.Aborted, "aborted", 409],
  [Code.OutOfRange, "out_of_range", 400],
  [Code.Unimplemented, "unimplemented", 501],
  [Code.Internal, "internal", 500],
  [Code.Unavailable, "unavailable", 503],
  [Code.DataLoss, "data_loss", 500],
  [Code.Unauthenticated, "unauthenticated", 401],
];

test("connect protocol - every code has the protocol's name, read back from it, and its HTTP status", (t) => {
  t.is(protocol.length, Object.values(Code).filter((value) => typeof value === "number").length, "every code is listed");
  for (const [code, name, status] of protocol) {
    t.is(codeToString(code), name);
    t.is(codeFromString(name), code);
    t.is(codeToHttpStatus(code), status, name);
  }
  t.is(codeFromString("no_such_code"), undefined);
});

test("connect protocol - an error's JSON holds its code, its message as raised, and each detail's type and unpadded base64", (t) => {
  const info = { reason: ErrorReason.INVALID_FIELD, field: "url" };
  const err = new ConnectError("url must be https", Code.InvalidArgument, undefined, [{ desc: ErrorInfoSchema, value: info }]);
  const json = errorToJson(err, apiJson) as { code: string; message: string; details: { type: string; value: string; debug: object }[] };
  t.is(json.code, "invalid_argument");
  t.is(json.message, "url must be https");
  t.is(json.details.length, 1);
  t.is(json.details[0]!.type, "triggers.v1.ErrorInfo");
  t.regex(json.details[0]!.value, /^[A-Za-z0-9+/]+$/);
  t.like(json.details[0]!.debug, { reason: "ERROR_REASON_INVALID_FIELD", field: "url" });
  t.deepEqual(errorToJson(new ConnectError("", Code.Internal), undefined), { code: "internal" });
});
