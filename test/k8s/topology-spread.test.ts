// Prod's topology spread: one block shared by every service, which must still count only each workload's own pods.
import test from "ava";
import { type LabelSelector, type PodTemplate, podTemplates, selects } from "./objects.js";
import { type K8sObject, OVERLAYS, renderKustomization } from "./render.js";

let prod: K8sObject[] = [];

test.before(async () => {
  prod = await renderKustomization(OVERLAYS.prod);
});

/**
 * The pods a spread constraint counts, as the scheduler reads it: its labelSelector, narrowed by matchLabelKeys to the
 * placed pod's own values of those keys. A key the pod lacks is ignored, so it narrows nothing.
 */
function effectiveSelector(constraint: any, pod: PodTemplate): LabelSelector {
  const own = (constraint.matchLabelKeys ?? []).filter((key: string) => key in pod.labels).map((key: string) => [key, pod.labels[key]]);
  const selector: LabelSelector = constraint.labelSelector ?? {};
  return { ...selector, matchLabels: { ...selector.matchLabels, ...Object.fromEntries(own) } };
}

/** Each constraint counts exactly its own workload's pods: counting another's would skew a service by its neighbours. */
function spreadProblems(objects: K8sObject[]): string[] {
  const pods = podTemplates(objects);
  return pods.flatMap((pod) =>
    (pod.spec.topologySpreadConstraints ?? []).flatMap((constraint: any) => {
      const where = `${pod.owner} spread over ${constraint.topologyKey}`;
      const missing = (constraint.matchLabelKeys ?? []).filter((key: string) => !(key in pod.labels));
      const counted = pods
        .filter((other) => other.namespace === pod.namespace && selects(effectiveSelector(constraint, pod), other.labels))
        .map((other) => other.owner)
        .sort();
      return [
        ...missing.map((key: string) => `${where}: matchLabelKeys names ${key}, which its pods lack`),
        ...(counted.length === 1 && counted[0] === pod.owner ? [] : [`${where}: counts the pods of ${counted.join(", ") || "nothing"}`]),
      ];
    }),
  );
}

test("k8s topology - every prod Deployment and NATS spread over zones and nodes, each counting only its own pods", (t) => {
  const spread = podTemplates(prod).filter((pod) => pod.spec.topologySpreadConstraints?.length);
  t.deepEqual(spread.map((pod) => pod.owner).sort(), [
    "Deployment/auth",
    "Deployment/delivery",
    "Deployment/gateway",
    "Deployment/inbox",
    "Deployment/ingest",
    "StatefulSet/nats",
  ]);
  t.deepEqual(spreadProblems(prod), []);
});

test("k8s topology - the services' spread is one block: the same constraints in every Deployment", (t) => {
  const blocks = podTemplates(prod)
    .filter((pod) => pod.object.kind === "Deployment")
    .map((pod) => JSON.stringify(pod.spec.topologySpreadConstraints));
  t.is(new Set(blocks).size, 1);
  t.regex(blocks[0]!, /"matchLabelKeys":\["app.kubernetes.io\/name"\]/);
});

test("k8s topology - a shared constraint without matchLabelKeys, which would count every service's pods together, is reported", (t) => {
  const broken = structuredClone(prod);
  for (const object of broken.filter((o) => o.kind === "Deployment")) {
    for (const constraint of object.spec.template.spec.topologySpreadConstraints) delete constraint.matchLabelKeys;
  }
  t.true(
    spreadProblems(broken).includes(
      "Deployment/auth spread over kubernetes.io/hostname: counts the pods of Deployment/auth, Deployment/delivery, Deployment/gateway, Deployment/inbox, Deployment/ingest",
    ),
    spreadProblems(broken).join("\n"),
  );
});
