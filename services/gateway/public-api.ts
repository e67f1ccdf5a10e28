// Which RPCs the outside world may call, and the backend that serves each of those the gateway does not serve itself.
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { AuthService } from "../../gen/triggers/v1/auth_pb.js";
import { DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { IngestService } from "../../gen/triggers/v1/ingest_pb.js";
import type { GatewayConfig } from "./config.js";

/** A public service and the URL of the backend the gateway forwards its calls to. */
export interface Backend {
  service: DescService;
  url: string;
}

/**
 * Methods services call on each other, which the gateway neither answers nor describes. Exposing VerifyKey would let
 * anyone probe keys at argon2's cost; cancelling deliveries without deleting the event would leave an event that claims
 * deliveries it will not get.
 */
export const internalMethods: ReadonlySet<DescMethod> = new Set([
  AuthService.method.verifyKey,
  DeliveryService.method.cancelEventDeliveries,
]);

/** The services the gateway forwards to. */
export function backends(config: GatewayConfig): Backend[] {
  return [
    { service: AuthService, url: config.authUrl },
    { service: InboxService, url: config.inboxUrl },
    { service: DeliveryService, url: config.deliveryUrl },
  ];
}

/** Every service the gateway exposes: IngestService it serves itself (see events/), the others it forwards. */
export function publicServices(config: GatewayConfig): DescService[] {
  return [IngestService, ...backends(config).map(({ service }) => service)];
}

// Methods of forwarded services that the gateway serves itself: an event stream holds a slot of its key's, and ends
// when the gateway drains (watch/).
const servedHere: ReadonlySet<DescMethod> = new Set([InboxService.method.watchEvents]);

/** The methods of services the gateway exposes. */
export function publicMethods(services: DescService[]): DescMethod[] {
  return services.flatMap((service) => service.methods).filter((method) => !internalMethods.has(method));
}

/** The public methods the gateway forwards as they are; all unary, which the forwarding relies on (checked at start). */
export function forwardedMethods(services: DescService[]): DescMethod[] {
  const methods = publicMethods(services).filter((method) => !servedHere.has(method));
  const streaming = methods.find((method) => method.methodKind !== "unary");
  if (streaming) throw new Error(`${streaming.parent.typeName}.${streaming.name} is not unary: the gateway forwards unary RPCs only`);
  return methods;
}
