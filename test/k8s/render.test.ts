// Rendering needs kubectl: without it the Kubernetes tests fail and say so, rather than pass having checked nothing.
import test from "ava";
import { OVERLAYS, renderKustomization, splitJsonStream } from "./render.js";

test("k8s - rendering without kubectl on the PATH fails, saying kubectl is needed", async (t) => {
  const path = process.env.PATH;
  process.env.PATH = "";
  t.teardown(() => {
    process.env.PATH = path;
  });
  await t.throwsAsync(renderKustomization(OVERLAYS.dev), { message: /kubectl is needed/ });
});

test("k8s - kubectl's stream of JSON objects splits into objects, braces inside strings included", (t) => {
  const text = '{\n  "a": "}{\\"",\n  "b": {"c": 1}\n}\n{\n  "d": []\n}\n';
  t.deepEqual(splitJsonStream(text), [{ a: '}{"', b: { c: 1 } }, { d: [] }]);
});
