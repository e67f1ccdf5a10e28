// Each service's own config loads from the environment its container gets: nothing it requires is missing, nothing refused.
import path from "node:path";
import test from "ava";
import { OPERATOR_SECRET, OPERATOR_SECRET_SAMPLE } from "./checks.js";
import { checkConfigLoads, configLoaders } from "./config-loads.js";
import { podTemplates } from "./objects.js";
import { OVERLAYS, REPO_ROOT, renderKustomization } from "./render.js";
import { serviceNames } from "./setting-names.js";

const servicesDir = path.join(REPO_ROOT, "services");
const services = serviceNames(servicesDir);

test("k8s - every service's config loads from the environment the dev overlay gives its container", async (t) => {
  const loaders = await configLoaders(servicesDir, services);
  t.is(loaders.size, services.length);
  t.deepEqual(checkConfigLoads(await renderKustomization(OVERLAYS.dev), loaders), []);
});

test("k8s - every service's config loads in prod, given the Secret the README tells the operator to create", async (t) => {
  const loaders = await configLoaders(servicesDir, services);
  const prod = await renderKustomization(OVERLAYS.prod);
  t.deepEqual(checkConfigLoads(prod, loaders, { [OPERATOR_SECRET]: OPERATOR_SECRET_SAMPLE }), []);
  t.not(checkConfigLoads(prod, loaders), [], "without it, a service that requires a secret refuses to start");
});

test("k8s - prod reads exactly the keys of the operator's Secret that the README lists", async (t) => {
  const prod = await renderKustomization(OVERLAYS.prod);
  const keys = new Set<string>();
  for (const pod of podTemplates(prod)) {
    for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      for (const entry of container.env ?? []) {
        const ref = entry.valueFrom?.secretKeyRef;
        if (ref?.name === OPERATOR_SECRET) keys.add(ref.key);
      }
      t.false(
        (container.envFrom ?? []).some((from: any) => from.secretRef?.name === OPERATOR_SECRET),
        "keys are named one by one, not taken whole",
      );
    }
  }
  t.deepEqual([...keys].sort(), Object.keys(OPERATOR_SECRET_SAMPLE).sort());
});
