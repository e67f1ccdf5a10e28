// The OpenAPI document: valid, in step with the gateway's routes, and with examples that hold to its own schemas.
import { validate } from "@readme/openapi-parser";
import test from "ava";
import { loadGatewayConfig } from "../../services/gateway/config.js";
import { publicMethods, publicServices } from "../../services/gateway/public-api.js";
import { buildRestRoutes } from "../../services/gateway/rest-routes.js";
import { answerPointer, documentPath, openApi, operations, requestPointer, schemaErrors } from "./openapi-document.js";

test("openapi - the document is valid OpenAPI 3.1, without a warning", async (t) => {
  const result = await validate(documentPath);
  t.deepEqual(result.valid ? [] : result.errors, []);
  t.deepEqual(result.warnings, []);
  t.is(openApi.openapi, "3.1.0");
});

test("openapi - the document describes exactly the REST routes the gateway serves", (t) => {
  const services = publicServices(loadGatewayConfig({}));
  const served = buildRestRoutes(publicMethods(services)).map((route) => `${route.verb} ${route.template}`);
  const documented = operations.map((op) => `${op.verb} ${op.template}`);
  t.deepEqual(
    documented.filter((route) => !served.includes(route)),
    [],
    "documented but not served",
  );
  t.deepEqual(
    served.filter((route) => !documented.includes(route)),
    [],
    "served but not documented",
  );
});

test("openapi - every operation says what it does, what scope or token it needs, and how it can fail", (t) => {
  for (const op of operations) {
    t.truthy(op.spec.summary, `${op.id} has a summary`);
    t.regex(
      op.spec.description,
      /Needs (an API key with the `[a-z:]+` scope|an API key, with any scopes|the operator's admin token)\./,
      op.id,
    );
    t.true(op.spec.security.length > 0, `${op.id} names its security`);
    for (const status of ["200", "400", "401", "403", "429", "503", "default"]) t.truthy(op.spec.responses[status], `${op.id} ${status}`);
  }
});

test("openapi - every operation's example request and answer hold to its schemas", async (t) => {
  for (const op of operations) {
    const [answerContent] = Object.values(op.spec.responses["200"].content) as { example: unknown }[];
    const answer = answerContent!.example;
    t.not(answer, undefined, `${op.id} has an example answer`);
    t.deepEqual(await schemaErrors(answerPointer(op, 200), answer), [], `${op.id} answer`);
    const request = op.spec.requestBody?.content["application/json"];
    if (request) t.deepEqual(await schemaErrors(requestPointer(op), request.example), [], `${op.id} request`);
  }
});

test("openapi - every error example holds to the error body's schema", async (t) => {
  for (const [name, response] of Object.entries<any>(openApi.components.responses)) {
    const example = response.content["application/json"].example;
    if (example) t.deepEqual(await schemaErrors(`/components/responses/${name}/content/application~1json/schema`, example), [], name);
  }
});

test("openapi - the schemas refuse what the services refuse: a missing required field, an unknown field, too many events", async (t) => {
  const publish = operations.find((op) => op.id === "publishEvent")!;
  const batch = operations.find((op) => op.id === "publishEvents")!;
  t.not((await schemaErrors(requestPointer(publish), { data: {} })).length, 0, "type is required");
  t.not((await schemaErrors(requestPointer(publish), { type: "a", colour: "red" })).length, 0, "unknown field");
  const events = Array.from({ length: 1001 }, () => ({ type: "a" }));
  t.not((await schemaErrors(requestPointer(batch), { events })).length, 0, "at most 1000 events");
  t.deepEqual(await schemaErrors(requestPointer(batch), { events: events.slice(1) }), []);
});
