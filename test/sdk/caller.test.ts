// How every SDK call behaves on the wire, in memory against a fake gateway: the key, idempotency keys, retries, timeouts, cancelling.
import { create, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import { ErrorInfoSchema } from "../../gen/triggers/v1/event_pb.js";
import { Code, ErrorReason, type RetryInfo, Triggers, type TriggersOptions } from "../../sdk/src/index.js";
import { rejection } from "./rejection.js";

interface Sent {
  url: string;
  headers: Headers;
  body: any;
}

type Answer = (sent: Sent, signal: AbortSignal | undefined) => Response | Promise<Response>;

/** A client whose fetch answers each request with the next answer (the last one repeats), recording what was sent. */
function fakeGateway(answers: Answer[], options: Partial<TriggersOptions> = {}) {
  const sent: Sent[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = {
      url: String(input),
      headers: new Headers(init?.headers),
      body: JSON.parse(new TextDecoder().decode(init?.body as Uint8Array)),
    };
    sent.push(request);
    return answers[Math.min(sent.length, answers.length) - 1]!(request, init?.signal ?? undefined);
  };
  const triggers = new Triggers({ baseUrl: "http://gateway.test/", apiKey: "tk_test_key", format: "json", fetch, ...options });
  return { triggers, sent };
}

const ok =
  (body: object = {}): Answer =>
  () =>
    Response.json(body);

function failure(status: number, code: string, headers: Record<string, string> = {}, reason?: ErrorReason): Answer {
  const details =
    reason === undefined
      ? []
      : [{ type: "triggers.v1.ErrorInfo", value: base64(toBinary(ErrorInfoSchema, create(ErrorInfoSchema, { reason }))) }];
  return () => Response.json({ code, message: `it is ${code}`, details }, { status, headers: { "x-request-id": "req-1", ...headers } });
}

const noAnswer: Answer = () => {
  throw new TypeError("fetch failed");
};

const unavailable = failure(503, "unavailable");

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

test("sdk - a call goes to its method's Connect route with the key as a bearer token", async (t) => {
  const { triggers, sent } = fakeGateway([ok({ events: [{ id: "e1", type: "order.created" }], nextCursor: "c1" })]);
  const page = await triggers.inbox.listPage({ limit: 10, type: "order.*", since: "2026-11-30T00:00:00Z" });
  t.is(page.events[0]?.id, "e1");
  t.is(sent[0]?.url, "http://gateway.test/triggers.v1.InboxService/ListInbox");
  t.is(sent[0]?.headers.get("authorization"), "Bearer tk_test_key");
  t.deepEqual(sent[0]?.body, { limit: 10, type: "order.*", since: "2026-11-30T00:00:00Z" });
});

test("sdk - a publish gets an idempotency key, the same in each attempt, unless it brings its own", async (t) => {
  const { triggers, sent } = fakeGateway([unavailable, ok({ id: "e1", duplicate: true })]);
  t.true((await triggers.events.publish({ type: "order.created" })).duplicate);
  t.is(sent.length, 2);
  t.regex(sent[0]?.body.event.idempotencyKey, /^[0-9a-f]{32}$/);
  t.is(sent[1]?.body.event.idempotencyKey, sent[0]?.body.event.idempotencyKey);

  await triggers.events.publish({ type: "order.created", idempotencyKey: "order-42-created" });
  t.is(sent[2]?.body.event.idempotencyKey, "order-42-created");
  await triggers.events.publishBatch([{ type: "a" }, { type: "b" }]);
  const [first, second] = sent[3]?.body.events ?? [];
  t.not(first.idempotencyKey, second.idempotencyKey, "each event of a batch has its own");
});

test("sdk - a 503 or a 429 is retried until an answer comes, and maxRetries bounds the attempts", async (t) => {
  const limited = failure(429, "resource_exhausted", { "retry-after": "0" }, ErrorReason.RATE_LIMITED);
  const { triggers, sent } = fakeGateway([unavailable, limited, ok({ subscriptions: [] })]);
  t.deepEqual(await triggers.subscriptions.list(), []);
  t.is(sent.length, 3);

  const down = fakeGateway([unavailable], { maxRetries: 1 });
  const err = await rejection(down.triggers.inbox.listPage());
  t.like(err, { status: 503, code: Code.Unavailable, requestId: "req-1" });
  t.is(down.sent.length, 2);
  const once = fakeGateway([unavailable]);
  await rejection(once.triggers.inbox.listPage({}, { maxRetries: 0 }));
  t.is(once.sent.length, 1, "a call's own maxRetries");
});

test("sdk - onRetry is told of each attempt that will be tried again, with its error and the wait, and not of the last", async (t) => {
  const limited = failure(429, "resource_exhausted", { "retry-after": "1" }, ErrorReason.RATE_LIMITED);
  const told: Array<{ status: number | undefined; retryAfterSeconds: number | undefined; failures: number; delayMs: number }> = [];
  const onRetry = ({ error, failures, delayMs }: RetryInfo) =>
    told.push({ status: error.status, retryAfterSeconds: error.retryAfterSeconds, failures, delayMs });
  const { triggers } = fakeGateway([limited, unavailable], { onRetry, maxRetries: 1 });
  t.like(await rejection(triggers.inbox.listPage()), { status: 503 });
  t.is(told.length, 1, "the failure that is thrown is not retried, so not told");
  t.like(told[0], { status: 429, retryAfterSeconds: 1, failures: 1 });
  t.true(told[0]!.delayMs >= 1000, "waits at least as long as Retry-After asks");

  const own: RetryInfo[] = [];
  const once = fakeGateway([unavailable, ok({ subscriptions: [] })]);
  await once.triggers.subscriptions.list({ onRetry: (retry) => own.push(retry) });
  t.like(own, [{ failures: 1, error: { status: 503 } }], "a call's own onRetry");
});

test("sdk - a 429 asking to wait longer than maxRetryAfterSeconds is thrown at once, with its Retry-After", async (t) => {
  const limited = failure(
    429,
    "resource_exhausted",
    { "retry-after": "120", "ratelimit-limit": "100", "ratelimit-remaining": "0", "ratelimit-reset": "60" },
    ErrorReason.RATE_LIMITED,
  );
  const { triggers, sent } = fakeGateway([limited]);
  const err = await rejection(triggers.events.publish({ type: "order.created" }));
  t.like(err, {
    status: 429,
    code: Code.ResourceExhausted,
    reason: ErrorReason.RATE_LIMITED,
    retryAfterSeconds: 120,
    rateLimit: { limit: 100, remaining: 0, resetSeconds: 60 },
  });
  t.is(sent.length, 1);
});

test("sdk - refusals are not retried: too large is 413, a reused idempotency key 422, a bad field 400", async (t) => {
  const cases: Array<[Answer, number]> = [
    [failure(429, "resource_exhausted", {}, ErrorReason.TOO_LARGE), 413],
    [failure(400, "failed_precondition", {}, ErrorReason.IDEMPOTENCY_KEY_REUSED), 422],
    [failure(400, "invalid_argument", {}, ErrorReason.INVALID_FIELD), 400],
    [failure(500, "internal"), 500],
  ];
  for (const [answer, status] of cases) {
    const { triggers, sent } = fakeGateway([answer]);
    t.is((await rejection(triggers.events.publish({ type: "order.created" }))).status, status);
    t.is(sent.length, 1);
  }
});

test("sdk - a call that got no answer is retried when repeating it is safe, and not when it could take effect twice", async (t) => {
  const read = fakeGateway([noAnswer, ok({ subscriptions: [] })]);
  t.deepEqual(await read.triggers.subscriptions.list(), []);
  t.is(read.sent.length, 2);

  const write = fakeGateway([noAnswer, ok({ subscription: { id: "s1" } })]);
  const err = await rejection(write.triggers.subscriptions.create({ url: "https://example.com/hook" }));
  t.like(err, { code: Code.Unavailable, status: undefined, requestId: undefined });
  t.regex(err.message, /no answer from the gateway: fetch failed/);
  t.is(write.sent.length, 1);
});

test("sdk - a 503 is not retried for a call that may have taken effect before it, and a 429 is", async (t) => {
  const write = fakeGateway([unavailable, ok({ subscription: { id: "s1" } })]);
  t.like(await rejection(write.triggers.subscriptions.create({ url: "https://example.com/hook" })), { status: 503 });
  t.is(write.sent.length, 1);
  const limited = failure(429, "resource_exhausted", { "retry-after": "0" }, ErrorReason.RATE_LIMITED);
  const refused = fakeGateway([limited, ok({ subscription: { id: "s1" } })]);
  t.like(await refused.triggers.subscriptions.create({ url: "https://example.com/hook" }), { id: "s1" });
  t.is(refused.sent.length, 2);
});

test("sdk - a delete retried after a lost answer, that finds nothing left to delete, succeeds: the first attempt deleted it", async (t) => {
  const gone = failure(404, "not_found");
  const retried = fakeGateway([noAnswer, gone]);
  await t.notThrowsAsync(retried.triggers.subscriptions.delete("s1"));
  t.is(retried.sent.length, 2);
  const first = fakeGateway([gone]);
  t.like(await rejection(first.triggers.events.delete("e1")), { status: 404 }, "a delete of nothing, at its first attempt, is not found");
});

test("sdk - an attempt that outlasts timeoutMs fails as deadline_exceeded with no status, and is retried when safe", async (t) => {
  const hanging: Answer = (_sent, signal) =>
    new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
  const { triggers, sent } = fakeGateway([hanging], { timeoutMs: 50, maxRetries: 1 });
  const err = await rejection(triggers.inbox.listPage());
  t.like(err, { code: Code.DeadlineExceeded, status: undefined });
  t.is(sent.length, 2);
  const once = fakeGateway([hanging], { timeoutMs: 50 });
  t.like(await rejection(once.triggers.keys.create({ scopes: ["admin"] })), { code: Code.DeadlineExceeded });
  t.is(once.sent.length, 1);
});

test("sdk - an AbortSignal cancels the wait between attempts", async (t) => {
  const controller = new AbortController();
  const abortingAfterTheFirst: Answer = (sent) => {
    controller.abort();
    return unavailable(sent, undefined);
  };
  const { triggers, sent } = fakeGateway([abortingAfterTheFirst]);
  const err = await rejection(triggers.inbox.listPage({}, { signal: controller.signal }));
  t.like(err, { code: Code.Canceled, status: undefined });
  t.is(sent.length, 1);
});

test("sdk - options that cannot work are refused when the client is made, naming them", (t) => {
  t.throws(() => new Triggers({ baseUrl: "gateway:8080" }), { instanceOf: TypeError, message: /baseUrl/ });
  t.throws(() => new Triggers({ baseUrl: "http://x", apiKey: "a", adminToken: "b" }), { message: /apiKey or adminToken/ });
  t.throws(() => new Triggers({ baseUrl: "http://x", timeoutMs: 0 }), { message: /timeoutMs/ });
  t.throws(() => new Triggers({ baseUrl: "http://x", maxRetries: -1 }), { message: /maxRetries/ });
  t.throws(() => new Triggers({ baseUrl: "http://x", format: "xml" as "json" }), { message: /format/ });
});
