// The REST API derived from the protos' http rules: which routes exist and how requests and responses map to messages.
import { create, type DescMethod, hasOption, type JsonObject, toJsonString } from "@bufbuild/protobuf";
import test from "ava";
import { http } from "../../gen/google/api/annotations_pb.js";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import {
  type CreateSubscriptionRequest,
  CreateSubscriptionRequestSchema,
  DeliveryService,
  type UpdateSubscriptionRequest,
} from "../../gen/triggers/v1/delivery_pb.js";
import { AckEventResponseSchema, type ListInboxRequest } from "../../gen/triggers/v1/inbox_pb.js";
import { loadGatewayConfig } from "../../services/gateway/config.js";
import { publicMethods, publicServices } from "../../services/gateway/public-api.js";
import { decodeJson, requestMessage, responseText } from "../../services/gateway/rest-messages.js";
import { buildRestRoutes, matchRoute } from "../../services/gateway/rest-routes.js";
import { InvalidField } from "../../services/shared/domain-errors.js";
import { apiJson } from "../../services/shared/json.js";

const methods = publicMethods(publicServices(loadGatewayConfig({})));
const routes = buildRestRoutes(methods);

function found(verb: string, path: string) {
  const match = matchRoute(routes, verb, path);
  if (match.kind !== "found") throw new Error(`${verb} ${path} did not match: ${match.kind}`);
  return match;
}

function build(verb: string, pathAndQuery: string, body?: unknown) {
  const url = new URL(pathAndQuery, "http://gateway");
  const { route, params } = found(verb, url.pathname);
  return requestMessage(route, params, url.searchParams, body as never);
}

function invalidFieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidField) return err.field;
    throw err;
  }
  throw new Error("no error");
}

test("rest routes - every public method with an http rule gets exactly the routes the protos declare", (t) => {
  // Names, not descriptors: comparing descriptors makes ava walk the whole (cyclic) registry.
  const name = (method: DescMethod) => `${method.parent.name}.${method.name}`;
  const withRule = methods.filter((method) => hasOption(method, http)).map(name);
  t.deepEqual([...new Set(routes.map((route) => name(route.method)))].sort(), withRule.sort());
  t.deepEqual(routes.map((route) => `${route.verb} ${route.template}`).sort(), [
    "DELETE /v1/events/{id}",
    "DELETE /v1/keys/{id}",
    "DELETE /v1/subscriptions/{id}",
    "GET /v1/audit",
    "GET /v1/event-types",
    "GET /v1/events/stream",
    "GET /v1/events/{event_id}/attempts",
    "GET /v1/events/{event_id}/deliveries",
    "GET /v1/events/{id}",
    "GET /v1/inbox",
    "GET /v1/inbox/settings",
    "GET /v1/keys",
    "GET /v1/me",
    "GET /v1/subscriptions",
    "GET /v1/subscriptions/{id}",
    "GET /v1/subscriptions/{subscription_id}/deliveries",
    "PATCH /v1/inbox/settings",
    "PATCH /v1/orgs/{id}",
    "PATCH /v1/subscriptions/{id}",
    "POST /v1/deliveries/{id}/retry",
    "POST /v1/events",
    "POST /v1/events/batch",
    "POST /v1/events/{id}/ack",
    "POST /v1/inbox/ack",
    "POST /v1/keys",
    "POST /v1/keys/{id}/rotate",
    "POST /v1/orgs",
    "POST /v1/subscriptions",
    "POST /v1/subscriptions/{id}/replay",
    "POST /v1/subscriptions/{id}/rotate-secret",
  ]);
});

test("rest routes - VerifyKey and CancelEventDeliveries are not public, neither as RPC nor as route", (t) => {
  t.false(methods.includes(AuthService.method.verifyKey));
  t.false(methods.includes(DeliveryService.method.cancelEventDeliveries));
  t.true(methods.includes(AuthService.method.createOrg));
});

test("rest routes - path variables set request fields", (t) => {
  t.like(build("GET", "/v1/events/ev%201"), { $typeName: "triggers.v1.GetEventRequest", id: "ev 1" });
  t.like(build("POST", "/v1/events/ev1/ack"), { $typeName: "triggers.v1.AckEventRequest", id: "ev1" });
  t.like(build("GET", "/v1/events/ev2/attempts"), { $typeName: "triggers.v1.ListAttemptsRequest", eventId: "ev2" });
  t.like(build("DELETE", "/v1/subscriptions/s1"), { $typeName: "triggers.v1.DeleteSubscriptionRequest", id: "s1" });
});

test("rest routes - a PATCH body names the fields it changes in update_mask, unless the query names them", (t) => {
  const patched = build("PATCH", "/v1/subscriptions/s1", { event_types: ["a.*"], enabled: true }) as UpdateSubscriptionRequest;
  t.like(patched, { id: "s1", subscription: { eventTypes: ["a.*"], enabled: true } });
  t.deepEqual(patched.updateMask?.paths, ["event_types", "enabled"]);
  const masked = build("PATCH", "/v1/subscriptions/s1?update_mask=url", {
    url: "https://example.com/",
    description: "d",
  }) as UpdateSubscriptionRequest;
  t.deepEqual(masked.updateMask?.paths, ["url"]);
  t.deepEqual((build("PATCH", "/v1/subscriptions/s1", {}) as UpdateSubscriptionRequest).updateMask?.paths, []);
  t.is(
    invalidFieldOf(() => build("PATCH", "/v1/subscriptions/s1", { colour: "red" })),
    "colour",
  );
});

test("rest routes - query parameters set scalar fields and are checked like fields", (t) => {
  const request = build("GET", "/v1/inbox?limit=10&cursor=abc") as ListInboxRequest;
  t.is(request.limit, 10);
  t.is(request.cursor, "abc");
  t.is(
    invalidFieldOf(() => build("GET", "/v1/inbox?limit=ten")),
    "limit",
  );
  t.is(
    invalidFieldOf(() => build("GET", "/v1/inbox?color=red")),
    "color",
  );
  t.is(
    invalidFieldOf(() => build("GET", "/v1/events/e1?id=e2")),
    "id",
  );
});

test("rest routes - body * makes the JSON body the request, in snake_case or camelCase", (t) => {
  t.like(build("POST", "/v1/orgs", { name: "acme" }), { $typeName: "triggers.v1.CreateOrgRequest", name: "acme" });
  const snake = build("POST", "/v1/subscriptions", { url: "https://x.test/hook", event_types: ["a"] }) as CreateSubscriptionRequest;
  const camel = build("POST", "/v1/subscriptions", { url: "https://x.test/hook", eventTypes: ["a"] }) as CreateSubscriptionRequest;
  t.deepEqual(snake.eventTypes, ["a"]);
  t.deepEqual(camel.eventTypes, ["a"]);
  t.is(
    invalidFieldOf(() => build("POST", "/v1/orgs?name=x", {})),
    "name",
  );
});

test("rest routes - body naming a field makes the JSON body that field", (t) => {
  const request = build("PATCH", "/v1/subscriptions/s1", {
    url: "https://example.test/hook",
    event_types: ["a.*"],
  }) as UpdateSubscriptionRequest;
  t.is(request.id, "s1");
  t.like(request.subscription, { url: "https://example.test/hook", eventTypes: ["a.*"] });
});

test("rest routes - unknown fields and wrong types are invalid_argument naming the field", (t) => {
  t.is(
    invalidFieldOf(() => build("POST", "/v1/subscriptions", { url: 42 })),
    "url",
  );
  t.is(
    invalidFieldOf(() => build("POST", "/v1/subscriptions", { url: "u", colour: "red" })),
    "colour",
  );
  t.is(
    invalidFieldOf(() => build("GET", "/v1/inbox?since=yesterday")),
    "since",
  );
  t.is(
    invalidFieldOf(() => build("POST", "/v1/subscriptions", { url: "u", event_types: [1] })),
    "event_types",
  );
});

// The messages keep protobuf-es's reason and drop its own naming of the field: a rewording upgrade fails here.
test("rest routes - a refused field's message names it our way, and says why as protobuf-es does", (t) => {
  const messageOf = (body: object) => {
    const refusal = t.throws(() => decodeJson(CreateSubscriptionRequestSchema, body as JsonObject), { instanceOf: InvalidField });
    return refusal?.message;
  };
  t.is(messageOf({ url: 42 }), 'invalid value for "url": expected string, got 42');
  t.is(messageOf({ event_types: [1] }), 'invalid value for "event_types": list item #1: expected string, got 1');
  t.is(messageOf({ url: "u", colour: "red" }), 'unknown field "colour"');
  t.is(messageOf({ url: "u", expected_string: 1 }), 'unknown field "expected_string"');
});

test("rest routes - response_body makes the response that field alone", (t) => {
  const { route } = found("POST", "/v1/events/e1/ack");
  const response = create(AckEventResponseSchema, { event: { id: "e1", type: "order.created" } });
  const answer = responseText(route, Buffer.from(toJsonString(AckEventResponseSchema, response, apiJson)));
  t.deepEqual(JSON.parse(answer.toString()), { id: "e1", type: "order.created", source: "" });
});

test("rest routes - without response_body the backend's answer goes on as the very bytes it sent", (t) => {
  const { route } = found("GET", "/v1/inbox");
  const sent = Buffer.from('{"events":[],"next_cursor":""}');
  t.is(responseText(route, sent), sent);
});

test("rest routes - a known path with another verb names the allowed verbs, an unknown path matches nothing", (t) => {
  t.deepEqual(matchRoute(routes, "PUT", "/v1/subscriptions/s1"), { kind: "wrong-verb", allow: ["GET", "PATCH", "DELETE"] });
  t.deepEqual(matchRoute(routes, "GET", "/v1/nothing"), { kind: "none" });
  t.deepEqual(matchRoute(routes, "GET", "/v1/events/"), { kind: "none" });
});
