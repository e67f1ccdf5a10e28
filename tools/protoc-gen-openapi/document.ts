// The OpenAPI 3.1 document of the gateway's REST API, built from the protos' services, http rules and comments.
import fs from "node:fs";
import type { DescMessage, DescService } from "@bufbuild/protobuf";
import { buildRestRoutes, type RestRoute } from "../../services/gateway/rest-routes.js";
import {
  defaultBatchBodyBytes,
  defaultBodyBytes,
  maxDataBytes,
  maxEventsPerBatch,
  maxInboxWaitSeconds,
} from "../../services/shared/api-limits.js";
import { commentOf } from "./comments.js";
import { cloudEventSchema, errorSchema, headers, parameters, securitySchemes } from "./components.js";
import { errorComponents } from "./error-responses.js";
import { type JsonSchema, reachableMessages, SchemaSet } from "./json-schema.js";
import { operationOf, tagOf } from "./operations.js";

// The guide's figures come from the constants the services enforce, so that it cannot promise other limits.
const figures: Record<string, number> = {
  dataKiB: maxDataBytes / 1024,
  eventsPerBatch: maxEventsPerBatch,
  bodyMiB: defaultBodyBytes / 1_048_576,
  batchBodyMiB: defaultBatchBodyBytes / 1_048_576,
  waitSeconds: maxInboxWaitSeconds,
};
const guide = fs.readFileSync(new URL("guide.md", import.meta.url), "utf8").replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
  if (figures[name] === undefined) throw new Error(`guide.md names {{${name}}}, which is not a figure`);
  return String(figures[name]);
});

// The reference reads in the order a user meets the API: publish, read the inbox, get webhooks, manage the org.
const serviceOrder = ["IngestService", "InboxService", "DeliveryService", "AuthService"];

export function openApiDocument(declared: DescService[], errorInfo: DescMessage): JsonSchema {
  const services = [...declared].sort((a, b) => rank(a) - rank(b));
  const routes = buildRestRoutes(services.flatMap((service) => service.methods));
  const answered = reachableMessages([...routes.map((route) => route.method.output), errorInfo]);
  const schemas = new SchemaSet(answered);
  schemas.ref(errorInfo, "response");
  const paths = pathsOf(routes, services, schemas);
  return {
    openapi: "3.1.0",
    info: {
      title: "Triggers API",
      version: "v1",
      summary: "Publish events over HTTP; read them from an inbox; receive them on signed webhooks.",
      description: guide,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/", description: "The gateway serving this document" }],
    tags: tagsOf(services, routes),
    paths,
    components: {
      schemas: { ...sorted(schemas.components), Error: errorSchema, CloudEvent: cloudEventSchema },
      responses: errorComponents(),
      parameters,
      headers,
      securitySchemes,
    },
  };
}

// Paths in the order the protos declare their methods, so that the reference reads as the services do.
function pathsOf(routes: RestRoute[], services: DescService[], schemas: SchemaSet): Record<string, Record<string, JsonSchema>> {
  const order = (route: RestRoute) => services.indexOf(route.method.parent) * 1000 + route.method.parent.methods.indexOf(route.method);
  const declared = [...routes].sort((a, b) => order(a) - order(b));
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of declared) {
    paths[route.template] ??= {};
    paths[route.template]![route.verb.toLowerCase()] = operationOf(route, schemas);
  }
  return paths;
}

function rank(service: DescService): number {
  const index = serviceOrder.indexOf(service.name);
  return index === -1 ? serviceOrder.length : index;
}

function tagsOf(services: DescService[], routes: RestRoute[]): JsonSchema[] {
  return services
    .filter((service) => routes.some((route) => route.method.parent === service))
    .map((service) => ({ name: tagOf(service.methods[0]!), description: commentOf(service) }));
}

function sorted(record: Record<string, JsonSchema>): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
