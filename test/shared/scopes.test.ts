// Every method of our contracts declares the scope it needs, or is one of the few called without an API key.
import test from "ava";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import { isKeyless } from "../../services/shared/authenticate.js";
import { checkScope, isScope, requiredScope, takesAnyKey } from "../../services/shared/scopes.js";

const methods = [AuthService, IngestService, InboxService, DeliveryService].flatMap((service) => service.methods);

test("scopes - every method declares a known scope unless it is keyless or takes any key", (t) => {
  for (const method of methods) {
    const scope = requiredScope(method);
    if (isKeyless(method) || takesAnyKey(method)) t.is(scope, undefined, method.name);
    else t.true(scope !== undefined && isScope(scope), `${method.name} declares ${scope}`);
  }
  t.deepEqual(
    methods.filter(isKeyless).map((method) => method.name),
    ["CreateOrg", "UpdateOrg", "VerifyKey"],
  );
  t.deepEqual(
    methods.filter(takesAnyKey).map((method) => method.name),
    ["WhoAmI"],
  );
});

test("scopes - saying who a key is needs no scope: a key holding any, or none, may ask", (t) => {
  for (const held of [[], ["events:write"], ["events:read"], ["admin"]]) t.notThrows(() => checkScope(AuthService.method.whoAmI, held));
});

test("scopes - publishing needs events:write, reading and acknowledging events:read, and managing admin", (t) => {
  t.is(requiredScope(IngestService.method.publishEvents), "events:write");
  t.is(requiredScope(InboxService.method.ackEvents), "events:read");
  t.is(requiredScope(DeliveryService.method.listEventDeliveries), "events:read");
  for (const method of [DeliveryService.method.createSubscription, AuthService.method.revokeKey, InboxService.method.updateInboxSettings]) {
    t.is(requiredScope(method), "admin", method.name);
  }
});

test("scopes - a method with no declared scope refuses every key", (t) => {
  t.throws(() => checkScope(AuthService.method.createOrg, ["admin", "events:read", "events:write"]), {
    message: /declares no required scope/,
  });
});
