// The one table from Connect codes to HTTP statuses, and the error body REST clients get.
import { Code, ConnectError } from "@connectrpc/connect";
import test from "ava";
import { errorBody, httpError, httpErrorHeaders, httpStatus } from "../../services/gateway/http-errors.js";
import { InvalidField, TooLarge } from "../../services/shared/domain-errors.js";
import { connectErrorOf } from "../../services/shared/errors.js";

test("http errors - each Connect code has its HTTP status", (t) => {
  const expected: Array<[Code, number]> = [
    [Code.InvalidArgument, 400],
    [Code.FailedPrecondition, 400],
    [Code.OutOfRange, 400],
    [Code.Unauthenticated, 401],
    [Code.PermissionDenied, 403],
    [Code.NotFound, 404],
    [Code.AlreadyExists, 409],
    [Code.Aborted, 409],
    [Code.ResourceExhausted, 429],
    [Code.Canceled, 499],
    [Code.Unimplemented, 501],
    [Code.Unavailable, 503],
    [Code.DeadlineExceeded, 504],
    [Code.Internal, 500],
    [Code.Unknown, 500],
    [Code.DataLoss, 500],
  ];
  for (const [code, status] of expected) t.is(httpStatus(new ConnectError("x", code)), status, Code[code]);
});

test("http errors - resource_exhausted is 413 when it says too large, 429 otherwise", (t) => {
  t.is(httpStatus(connectErrorOf(new TooLarge("data", "too big"))), 413);
  t.is(httpStatus(new ConnectError("slow down", Code.ResourceExhausted)), 429);
});

test("http errors - an error of HTTP itself keeps its status and headers", (t) => {
  const err = httpError(405, "use GET", Code.Unimplemented, { allow: "GET" });
  t.is(httpStatus(err), 405);
  t.is(httpErrorHeaders(err).get("allow"), "GET");
  t.is(httpErrorHeaders(new ConnectError("x", Code.Internal, { secret: "s" })).get("secret"), null);
});

test("http errors - the body has the code name, the message without prefix, the request id and the details", (t) => {
  t.deepEqual(errorBody(connectErrorOf(new InvalidField("type", "type is required")), "req-1"), {
    code: "invalid_argument",
    message: "type is required",
    request_id: "req-1",
    details: [{ reason: "ERROR_REASON_INVALID_FIELD", field: "type" }],
  });
  t.deepEqual(errorBody(new ConnectError("gone", Code.NotFound), "req-2"), { code: "not_found", message: "gone", request_id: "req-2" });
});
