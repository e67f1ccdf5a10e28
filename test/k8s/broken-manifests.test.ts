// The cross-checks catch broken manifests: each test breaks a copy of an overlay on purpose and expects the problem named.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import {
  checkContainerArgs,
  checkEnvNames,
  checkGracefulShutdown,
  checkNetworkPolicySelectors,
  checkPorts,
  checkProduction,
  checkReferences,
  checkSecurity,
  checkServiceSelectors,
  checkServicesDeployed,
  OPERATOR_SECRET,
} from "./checks.js";
import { checkConfigLoads, configLoaders } from "./config-loads.js";
import { type K8sObject, OVERLAYS, REPO_ROOT, renderKustomization } from "./render.js";
import { serviceNames, settingNames } from "./setting-names.js";

const servicesDir = path.join(REPO_ROOT, "services");
const services = serviceNames(servicesDir);

/**
 * Renders an overlay with more on top, from a throwaway folder: Kustomize refuses absolute paths, so the overlay is
 * named relative to it. patches are Kustomize patch entries; resources, extra objects of this folder.
 */
async function renderBroken(overlay: keyof typeof OVERLAYS, change: { patches?: object[]; resources?: object[] }): Promise<K8sObject[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "triggers-k8s-"));
  try {
    const files = (change.resources ?? []).map((_, i) => `extra-${i}.json`);
    await Promise.all((change.resources ?? []).map((object, i) => writeFile(path.join(dir, files[i]!), JSON.stringify(object))));
    // JSON is YAML, so the kustomization needs no YAML writer.
    const kustomization = { resources: [path.relative(dir, OVERLAYS[overlay]), ...files], patches: change.patches ?? [] };
    await writeFile(path.join(dir, "kustomization.yaml"), JSON.stringify(kustomization));
    return await renderKustomization(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const jsonPatch = (kind: string, name: string, ...operations: object[]) => ({ target: { kind, name }, patch: JSON.stringify(operations) });
const container0 = "/spec/template/spec/containers/0";

test("k8s broken - a readiness probe on the API port, not the admin port, is reported", async (t) => {
  const objects = await renderBroken("dev", {
    patches: [jsonPatch("Deployment", "inbox", { op: "replace", path: `${container0}/readinessProbe/grpc/port`, value: 8080 })],
  });
  t.deepEqual(checkPorts(objects, services), [
    "Deployment/inbox container inbox: readinessProbe asks port 8080, but health is served on the admin port 9090",
  ]);
});

test("k8s broken - a liveness probe that asks readiness, so an outage would restart pods, is reported", async (t) => {
  const objects = await renderBroken("dev", {
    patches: [jsonPatch("Deployment", "auth", { op: "remove", path: `${container0}/livenessProbe/grpc/service` })],
  });
  t.deepEqual(checkPorts(objects, services), ['Deployment/auth container auth: livenessProbe asks gRPC health of "", not "liveness"']);
});

test("k8s broken - a container port its settings do not listen on is reported", async (t) => {
  const objects = await renderBroken("prod", {
    patches: [
      jsonPatch("Deployment", "gateway", { op: "add", path: `${container0}/env`, value: [{ name: "GATEWAY_ADMIN_PORT", value: "9191" }] }),
    ],
  });
  t.deepEqual(checkPorts(objects, services), [
    "Deployment/gateway container gateway: no port admin on 9191",
    "Deployment/gateway container gateway: port 9090 is served by nothing",
    "Deployment/gateway container gateway: startupProbe asks port 9090, but health is served on the admin port 9191",
    "Deployment/gateway container gateway: livenessProbe asks port 9090, but health is served on the admin port 9191",
    "Deployment/gateway container gateway: readinessProbe asks port 9090, but health is served on the admin port 9191",
  ]);
});

test("k8s broken - an environment variable that no service reads is reported, wherever it is set", async (t) => {
  const objects = await renderBroken("dev", {
    patches: [
      jsonPatch("Deployment", "inbox", { op: "add", path: `${container0}/env/-`, value: { name: "INBOX_BATCHSIZE", value: "100" } }),
      { target: { kind: "ConfigMap" }, patch: JSON.stringify([{ op: "add", path: "/data/LOGLEVEL", value: "debug" }]) },
    ],
  });
  const problems = checkEnvNames(objects, settingNames(servicesDir));
  t.true(
    problems.includes("Deployment/inbox container inbox: INBOX_BATCHSIZE (from env) is read by no service's config"),
    problems.join("\n"),
  );
  // From the shared ConfigMap, every Triggers container gets it.
  t.is(problems.filter((p) => p.includes("LOGLEVEL")).length, services.length + 1);
});

test("k8s broken - a Secret, a ConfigMap or a key that is not rendered is reported; the prod operator's Secret alone is allowed", async (t) => {
  const objects = await renderBroken("prod", {
    patches: [
      jsonPatch(
        "Deployment",
        "ingest",
        { op: "add", path: `${container0}/envFrom/-`, value: { secretRef: { name: "ingest-extras" } } },
        { op: "add", path: "/spec/template/spec/volumes/-", value: { name: "certs", configMap: { name: "ingest-certs" } } },
      ),
    ],
  });
  t.deepEqual(checkReferences(objects, [OPERATOR_SECRET]), [
    "Deployment/ingest: uses Secret ingest-extras, which is not rendered",
    "Deployment/ingest: uses ConfigMap ingest-certs, which is not rendered",
  ]);
  t.true(checkReferences(objects, []).includes(`Deployment/auth: uses Secret ${OPERATOR_SECRET}, which is not rendered`));
  const dev = await renderBroken("dev", {
    patches: [
      jsonPatch("Deployment", "auth", { op: "replace", path: `${container0}/env/0/valueFrom/secretKeyRef/key`, value: "admin_token" }),
    ],
  });
  t.deepEqual(checkReferences(dev), [
    `Deployment/auth: Secret ${dev.find((o) => o.kind === "Secret")!.metadata.name} has no key admin_token`,
  ]);
});

test("k8s broken - a NetworkPolicy, or a peer in it, that selects no pod is reported", async (t) => {
  const objects = await renderBroken("prod", {
    resources: [
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "inbox-typo" },
        spec: {
          podSelector: { matchLabels: { "app.kubernetes.io/name": "inboxx" } },
          ingress: [{ from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "gatway" } } }] }],
        },
      },
    ],
  });
  t.deepEqual(checkNetworkPolicySelectors(objects), [
    "NetworkPolicy/inbox-typo: podSelector selects no pods",
    'NetworkPolicy/inbox-typo: peer {"matchLabels":{"app.kubernetes.io/name":"gatway"}} selects no pods',
  ]);
});

test("k8s broken - a Service that selects no pod, or forwards to a port they lack, is reported", async (t) => {
  const objects = await renderBroken("dev", {
    patches: [
      jsonPatch("Service", "delivery", { op: "replace", path: "/spec/selector/app.kubernetes.io~1name", value: "delivry" }),
      jsonPatch("Service", "auth", { op: "replace", path: "/spec/ports/1/targetPort", value: "metrics" }),
    ],
  });
  t.deepEqual(checkServiceSelectors(objects), [
    "Service/auth: port admin forwards to metrics, which Deployment/auth does not expose",
    'Service/delivery: selector {"app.kubernetes.io/name":"delivry"} selects no pods',
  ]);
});

test("k8s broken - a missing Deployment, and a container that runs no real service, are reported", async (t) => {
  const objects = await renderBroken("dev", {
    patches: [
      {
        target: { kind: "Deployment", name: "ingest" },
        patch: JSON.stringify({ $patch: "delete", apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "ingest" } }),
      },
      jsonPatch("Deployment", "inbox", { op: "replace", path: `${container0}/args`, value: ["inbx"] }),
    ],
  });
  t.deepEqual(checkServicesDeployed(objects, services), ["Deployment/inbox: runs no inbox container", "ingest: no Deployment"]);
  t.deepEqual(checkContainerArgs(objects, services), [
    'Deployment/inbox container inbox: args ["inbx"] name none of auth, delivery, gateway, inbox, ingest, migrate',
  ]);
});

test("k8s broken - a container that may escalate privileges, runs as root or lacks limits is reported", async (t) => {
  const objects = await renderBroken("prod", {
    patches: [
      jsonPatch(
        "StatefulSet",
        "nats",
        { op: "replace", path: `${container0}/securityContext/allowPrivilegeEscalation`, value: true },
        { op: "replace", path: `${container0}/securityContext/runAsUser`, value: 0 },
        { op: "remove", path: `${container0}/resources/limits` },
      ),
      jsonPatch("Job", "migrations", { op: "remove", path: "/spec/template/spec/initContainers/0/securityContext/readOnlyRootFilesystem" }),
    ],
  });
  // Named after the release in prod (migrations-<tag>).
  const job = objects.find((o) => o.kind === "Job")!.metadata.name;
  t.deepEqual(checkSecurity(objects), [
    "StatefulSet/nats container nats: runAsUser 0 is not a non-root uid",
    "StatefulSet/nats container nats: allowPrivilegeEscalation is not false",
    "StatefulSet/nats container nats: no cpu limits",
    "StatefulSet/nats container nats: no memory limits",
    `Job/${job} container wait-for-postgres: readOnlyRootFilesystem is not true`,
  ]);
});

test("k8s broken - a grace period shorter than the drain is reported", async (t) => {
  const objects = await renderBroken("dev", {
    patches: [jsonPatch("Deployment", "gateway", { op: "replace", path: "/spec/template/spec/terminationGracePeriodSeconds", value: 12 })],
  });
  t.deepEqual(checkGracefulShutdown(objects, services), [
    "Deployment/gateway container gateway: terminationGracePeriodSeconds 12 is not above preStop plus SHUTDOWN_GRACE_MS (15 s)",
  ]);
});

test("k8s broken - prod with one replica, an autoscaler without a target, a budget without pods, or NATS alone is reported", async (t) => {
  const objects = await renderBroken("prod", {
    patches: [
      jsonPatch("Deployment", "inbox", { op: "replace", path: "/spec/replicas", value: 1 }),
      jsonPatch("HorizontalPodAutoscaler", "delivery", { op: "replace", path: "/spec/scaleTargetRef/name", value: "deliveries" }),
      jsonPatch("PodDisruptionBudget", "auth", {
        op: "replace",
        path: "/spec/selector/matchLabels/app.kubernetes.io~1name",
        value: "oauth",
      }),
      jsonPatch("StatefulSet", "nats", { op: "replace", path: "/spec/replicas", value: 1 }),
      { target: { kind: "ConfigMap" }, patch: JSON.stringify([{ op: "add", path: "/data/JETSTREAM_REPLICAS", value: "1" }]) },
    ],
  });
  const problems = checkProduction(objects, services);
  for (const expected of [
    "HorizontalPodAutoscaler/delivery: scales Deployment/deliveries, which is not rendered",
    "PodDisruptionBudget/auth: selects no pods",
    "Deployment/auth: no PodDisruptionBudget",
    "Deployment/inbox: 1 replica(s), fewer than 2",
    "Deployment/delivery: 1 replica(s), fewer than 2",
    "StatefulSet/nats: 1 replica(s), not 3",
    "Deployment/gateway container gateway: JETSTREAM_REPLICAS is 1, not 3",
  ]) {
    t.true(problems.includes(expected), `${expected}\nnot among:\n${problems.join("\n")}`);
  }
});

test("k8s broken - a required setting left out, or a value a service's config refuses, is reported", async (t) => {
  const objects = await renderBroken("dev", {
    patches: [
      jsonPatch("Deployment", "delivery", { op: "remove", path: `${container0}/env/2` }),
      jsonPatch("Deployment", "gateway", { op: "add", path: `${container0}/env`, value: [{ name: "JETSTREAM_REPLICAS", value: "9" }] }),
    ],
  });
  // A service stops at its first bad setting, so each is broken in a service of its own.
  const problems = checkConfigLoads(objects, await configLoaders(servicesDir, services));
  t.true(
    problems.some((p) => p.startsWith("Deployment/delivery container delivery: SIGNING_SECRETS_KEY: expected 32 random bytes")),
    problems.join("\n"),
  );
  t.true(
    problems.includes('Deployment/gateway container gateway: JETSTREAM_REPLICAS: expected an integer from 1 to 5, got "9"'),
    problems.join("\n"),
  );
});
