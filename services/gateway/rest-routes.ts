// REST routes derived from the protos' google.api.http rules at start, and the matching of a request path against them.
import { type DescField, type DescMethod, getOption, hasOption, type Message } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../gen/google/api/http_pb.js";
import type { Caller } from "../shared/authenticate.js";
import type { Quota } from "../shared/quota.js";
import type { Header, HttpRequest } from "../shared/request-body.js";
import type { HttpHandler } from "../shared/server.js";

type HttpResponse = Parameters<HttpHandler>[1];

/** A path segment: a literal to equal, or a variable that sets a (scalar) request field. */
export type Segment = { literal: string } | { field: DescField };

export interface RestRoute {
  method: DescMethod;
  /** Upper-case HTTP method. */
  verb: string;
  /** The path template as declared, such as `/v1/events/{id}`: the route's name in logs and metrics. */
  template: string;
  segments: Segment[];
  /** "*": the JSON body is the request; a field: the body is that field; undefined: no body. */
  body: "*" | DescField | undefined;
  /** When set, the response JSON is this field of the response alone. */
  responseBody: DescField | undefined;
  /** Set when the gateway serves the route itself instead of forwarding it to the method's backend. */
  serve?: RouteServer;
}

/** What a route served by the gateway is given: the request, once admission has found its caller. */
export interface RestCall {
  req: HttpRequest;
  /** For a route that writes its own answer, as a stream does. */
  res: HttpResponse;
  header: Header;
  query: URLSearchParams;
  /** Undefined for a method that takes no key. */
  caller: Caller | undefined;
  /** Told where the org stands after the call spent of its allowance, for the RateLimit-* headers. */
  onQuota(quota: Quota): void;
  /** The request message the path and query make, as for a forwarded route without a body. */
  message(): Message;
}

/** Serves a route in the gateway; resolves to the answer's JSON text, or to undefined once it has written its answer itself. */
export type RouteServer = (call: RestCall) => Promise<string | undefined>;

export type RouteMatch =
  | { kind: "found"; route: RestRoute; params: Map<DescField, string> }
  | { kind: "wrong-verb"; allow: string[] }
  | { kind: "none" };

/**
 * One route per http rule (and additional binding) of the given methods; a rule we cannot serve stops the start.
 * A method in servers is served by its server, every other one by its backend.
 */
export function buildRestRoutes(methods: DescMethod[], servers: ReadonlyMap<DescMethod, RouteServer> = new Map()): RestRoute[] {
  const routes = methods.flatMap((method) => {
    if (!hasOption(method, http)) return [];
    const rule = getOption(method, http);
    const serve = servers.get(method);
    return [rule, ...rule.additionalBindings].map((binding) => ({ ...routeOf(method, binding), ...(serve && { serve }) }));
  });
  // Where two templates could match one path, the one with more literal segments is the more specific.
  return routes.sort((a, b) => literalCount(b) - literalCount(a));
}

export function matchRoute(routes: RestRoute[], verb: string, path: string): RouteMatch {
  const parts = splitPath(path);
  if (!parts) return { kind: "none" };
  const matches = routes.flatMap((route) => {
    const params = matchSegments(route.segments, parts);
    return params ? [{ route, params }] : [];
  });
  const found = matches.find(({ route }) => route.verb === verb);
  if (found) return { kind: "found", ...found };
  if (matches.length > 0) return { kind: "wrong-verb", allow: [...new Set(matches.map(({ route }) => route.verb))] };
  return { kind: "none" };
}

function routeOf(method: DescMethod, rule: HttpRule): RestRoute {
  const where = `${method.parent.typeName}.${method.name}`;
  const { verb, template } = verbAndTemplate(rule, where);
  return {
    method,
    verb,
    template,
    segments: parseTemplate(template, method, where),
    body: rule.body === "*" ? "*" : rule.body ? fieldNamed(method.input.fields, rule.body, where) : undefined,
    responseBody: rule.responseBody ? fieldNamed(method.output.fields, rule.responseBody, where) : undefined,
  };
}

function verbAndTemplate(rule: HttpRule, where: string): { verb: string; template: string } {
  const { pattern } = rule;
  if (pattern.case === undefined) throw new Error(`${where}: http rule has no pattern`);
  if (pattern.case === "custom") return { verb: pattern.value.kind.toUpperCase(), template: pattern.value.path };
  return { verb: pattern.case.toUpperCase(), template: pattern.value };
}

const variable = /^\{([A-Za-z_][A-Za-z0-9_]*)(?:=\*)?\}$/;

// Only what our protos need: literal segments and single-segment variables naming a top-level scalar field.
function parseTemplate(template: string, method: DescMethod, where: string): Segment[] {
  if (!template.startsWith("/")) throw new Error(`${where}: path template "${template}" must start with "/"`);
  return template
    .slice(1)
    .split("/")
    .map((segment) => {
      const name = variable.exec(segment)?.[1];
      if (name) return { field: scalarField(method, name, where) };
      if (/[{}*:]/.test(segment) || segment === "") throw new Error(`${where}: unsupported path segment "${segment}"`);
      return { literal: segment };
    });
}

function scalarField(method: DescMethod, name: string, where: string): DescField {
  const field = fieldNamed(method.input.fields, name, where);
  if (field.fieldKind !== "scalar" && field.fieldKind !== "enum")
    throw new Error(`${where}: path variable "${name}" is not a scalar field`);
  return field;
}

function fieldNamed(fields: DescField[], name: string, where: string): DescField {
  const field = fields.find((candidate) => candidate.name === name);
  if (!field) throw new Error(`${where}: http rule names "${name}", which is not a field`);
  return field;
}

function literalCount(route: RestRoute): number {
  return route.segments.filter((segment) => "literal" in segment).length;
}

/** The decoded segments of a path, or undefined when one cannot be decoded. */
function splitPath(path: string): string[] | undefined {
  try {
    return path.slice(1).split("/").map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function matchSegments(segments: Segment[], parts: string[]): Map<DescField, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params = new Map<DescField, string>();
  for (const [index, segment] of segments.entries()) {
    const part = parts[index]!;
    if ("literal" in segment ? part !== segment.literal : part === "") return undefined;
    if ("field" in segment) params.set(segment.field, part);
  }
  return params;
}
