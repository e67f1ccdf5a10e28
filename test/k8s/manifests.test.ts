// The Kubernetes manifests, rendered offline: valid against the API's schemas, consistent with each other and with the code.
import path from "node:path";
import test from "ava";
import { allChecks, checkProduction, OPERATOR_SECRET } from "./checks.js";
import { allowed, type Endpoint, workloadEndpoints } from "./network-paths.js";
import { type K8sObject, OVERLAYS, REPO_ROOT, renderKustomization } from "./render.js";
import { MODELS, schemaProblems } from "./schemas.js";
import { serviceNames, settingNames } from "./setting-names.js";

const servicesDir = path.join(REPO_ROOT, "services");
const services = serviceNames(servicesDir);
const readNames = settingNames(servicesDir);
const rendered: Record<keyof typeof OVERLAYS, K8sObject[]> = { dev: [], prod: [] };

test.before(async () => {
  [rendered.dev, rendered.prod] = await Promise.all([renderKustomization(OVERLAYS.dev), renderKustomization(OVERLAYS.prod)]);
});

/** What each overlay is allowed beyond the rules: dev's live update writes into its service containers. */
const contexts = {
  dev: { services, readNames, writableRoot: services },
  prod: { services, readNames, operatorSecrets: [OPERATOR_SECRET] },
};

test("k8s - every object of both overlays is valid against the Kubernetes API schemas", (t) => {
  for (const overlay of ["dev", "prod"] as const) t.deepEqual(schemaProblems(rendered[overlay]), [], overlay);
});

test("k8s - the schemas cover apps/v1, batch/v1, autoscaling/v2, policy/v1 and networking.k8s.io/v1, and refuse a named gRPC probe port", (t) => {
  const versions = new Set(Object.keys(MODELS).map((key) => key.slice(0, key.lastIndexOf("/"))));
  for (const version of ["apps/v1", "batch/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1"])
    t.true(versions.has(version), version);
  const gateway = structuredClone(rendered.prod.find((o) => o.kind === "Deployment" && o.metadata.name === "gateway")!);
  gateway.spec.template.spec.containers[0].readinessProbe.grpc.port = "admin";
  t.regex(schemaProblems([gateway]).join("\n"), /readinessProbe\/grpc\/port must be integer/);
});

for (const overlay of ["dev", "prod"] as const) {
  test(`k8s - ${overlay}: services, ports, probes, settings, references, selectors and security contexts agree`, (t) => {
    for (const [check, problems] of Object.entries(allChecks(rendered[overlay], contexts[overlay]))) t.deepEqual(problems, [], check);
  });
}

test("k8s - every service under services/ has a Deployment and a Service in both overlays", (t) => {
  t.true(services.length >= 5, services.join(", "));
  for (const overlay of ["dev", "prod"] as const) {
    t.deepEqual(allChecks(rendered[overlay], contexts[overlay]).servicesDeployed, [], overlay);
  }
});

test("k8s - prod runs two or more of each service, autoscales gateway and delivery, and keeps NATS a three-node JetStream cluster", (t) => {
  t.deepEqual(checkProduction(rendered.prod, services), []);
  const scaled = rendered.prod.filter((o) => o.kind === "HorizontalPodAutoscaler").map((o) => o.spec.scaleTargetRef.name);
  t.deepEqual(scaled.sort(), ["delivery", "gateway"]);
});

test("k8s - prod renders no Secret: the operator creates it", (t) => {
  t.deepEqual(
    rendered.prod.filter((o) => o.kind === "Secret"),
    [],
  );
  t.true(rendered.dev.some((o) => o.kind === "Secret"));
});

test("k8s - dev uses test keys and the image the Tiltfile builds; prod uses live keys", (t) => {
  const settings = (overlay: K8sObject[]) =>
    overlay.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("triggers-") && o.data?.KEY_ENVIRONMENT)!.data;
  t.is(settings(rendered.dev).KEY_ENVIRONMENT, "test");
  t.is(settings(rendered.prod).KEY_ENVIRONMENT, "live");
  t.is(settings(rendered.prod).MIGRATE_ON_START, "false");
  const gateway = rendered.dev.find((o) => o.kind === "Deployment" && o.metadata.name === "gateway")!;
  t.is(gateway.spec.template.spec.containers[0].image, "triggers");
});

/** The only connections Triggers makes between its pods, as the issue lists them. */
const podPaths = [
  ...["auth", "inbox", "delivery"].map((to) => `gateway -> ${to}:8080`),
  ...["ingest", "inbox", "delivery"].map((from) => `${from} -> auth:8080`),
  "inbox -> delivery:8080",
  ...["gateway", "auth", "ingest", "inbox", "delivery"].map((from) => `${from} -> nats:4222`),
  "nats -> nats:6222",
  ...["auth", "inbox", "delivery", "migrations"].map((from) => `${from} -> postgres:5432`),
];

test("k8s - prod lets the cluster's own workloads labelled as publishers reach ingest, and no other", (t) => {
  const policies = rendered.prod.filter((o) => o.kind === "NetworkPolicy");
  const ingest = workloadEndpoints(rendered.prod).get("ingest")!;
  const shop = { namespace: "shop", namespaceLabels: { "kubernetes.io/metadata.name": "shop" } };
  const publisher: Endpoint = { pod: "orders", labels: { "triggers.dev/publisher": "true" }, ...shop };
  const other: Endpoint = { pod: "web", labels: {}, ...shop };
  t.true(allowed(policies, { from: publisher, to: ingest, port: 8080 }));
  t.false(allowed(policies, { from: other, to: ingest, port: 8080 }));
  t.false(allowed(policies, { from: workloadEndpoints(rendered.prod).get("gateway")!, to: ingest, port: 8080 }));
});

test("k8s - prod network policies allow exactly the paths Triggers uses, and DNS", (t) => {
  const policies = rendered.prod.filter((o) => o.kind === "NetworkPolicy");
  const internet = new Map<string, Endpoint>([
    ["internet", { address: "198.51.100.20" }],
    ["internet6", { address: "2001:db8::20" }],
  ]);
  const privateNetworks = new Map<string, Endpoint>([
    ["pod network", { address: "10.244.1.9" }],
    ["node network", { address: "192.168.1.10" }],
    ["docker network", { address: "172.17.0.2" }],
    ["cloud metadata", { address: "169.254.169.254" }],
    ["carrier NAT", { address: "100.64.0.1" }],
    ["private IPv6", { address: "fd00::1" }],
    ["link-local IPv6", { address: "fe80::1" }],
  ]);
  // The migrations Job is named after the release (migrations-<tag>): one workload, whatever the tag.
  const workloads = [...workloadEndpoints(rendered.prod)].map(
    ([name, endpoint]) => [name.replace(/^migrations-.+/, "migrations"), endpoint] as const,
  );
  const endpoints = new Map([...workloads, ...internet, ...privateNetworks]);
  const ports = [8080, 9090, 4222, 6222, 8222, 5432, 443, 80];
  const open: string[] = [];
  for (const [fromName, from] of endpoints) {
    for (const [toName, to] of endpoints) {
      if (!("pod" in from) && !("pod" in to)) continue;
      for (const port of ports) if (allowed(policies, { from, to, port })) open.push(`${fromName} -> ${toName}:${port}`);
    }
  }
  const expected = [
    ...podPaths,
    // Anyone may call the gateway's API, from wherever they are.
    ...[...internet.keys(), ...privateNetworks.keys()].map((name) => `${name} -> gateway:8080`),
    // Webhooks may listen on any port, but only on public addresses.
    ...[...internet.keys()].flatMap((name) => ports.map((port) => `delivery -> ${name}:${port}`)),
  ];
  t.deepEqual(open.sort(), expected.sort());
  const dns: Endpoint = {
    pod: "kube-dns",
    labels: { "k8s-app": "kube-dns" },
    namespace: "kube-system",
    namespaceLabels: { "kubernetes.io/metadata.name": "kube-system" },
  };
  for (const [name, from] of workloadEndpoints(rendered.prod)) {
    t.true(allowed(policies, { from, to: dns, port: 53, protocol: "UDP" }), `${name} resolves names`);
  }
});
