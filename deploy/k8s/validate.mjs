// Offline checks of Kubernetes manifests; run by validate.sh, which installs the packages named here.
//   VALIDATE_ROOT=DIR node validate.mjs FILE.yaml...     (files relative to DIR; run from the folder of node_modules)
// Each object goes through three checks:
//   schema     kubernetes-models: the API's OpenAPI schema compiled to validators (types, required fields, enums)
//   strict     TypeScript with kubernetes-types: an unknown or misplaced field is an error (the schema lets those through)
//   references within the set: selectors against pod labels, HPA target, claim, Secret and named ports
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import ts from "typescript";

const root = process.env.VALIDATE_ROOT ?? ".";
const files = process.argv.slice(2);
const objects = [];
for (const file of files) {
  for (const doc of parseAllDocuments(readFileSync(resolve(root, file), "utf8"))) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value) objects.push({ file: isAbsolute(file) ? basename(file) : file, value, problems: [] });
  }
}

const name = (o) => `${o.value.kind}/${o.value.metadata?.name ?? "?"}`;
// "apps/v1" -> ["apps", "v1"]; "v1" -> ["core", "v1"]; "policy.k8s.io/v1" -> ["policy", "v1"]
const groupVersion = (apiVersion) => {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  return [group.split(".")[0], version, group];
};

// --- schema -------------------------------------------------------------------------------------------------------
for (const o of objects) {
  const { apiVersion, kind } = o.value;
  if (!apiVersion || !kind) { o.problems.push("schema: apiVersion and kind are required"); continue; }
  let model;
  try {
    model = (await import(`kubernetes-models/${apiVersion}`))[kind];
  } catch { /* reported below */ }
  if (!model) { o.problems.push(`schema: no ${kind} in ${apiVersion}`); continue; }
  try {
    new model(o.value).validate();
  } catch (e) {
    o.problems.push(`schema: ${e.message}`);
  }
}

// --- strict: every object as a typed TypeScript literal, so excess properties are compile errors -------------------
// Written beside node_modules (validate.sh runs this from its tools folder) so that kubernetes-types resolves.
const source = join(process.cwd(), `.strict-check-${process.pid}.ts`);
const chunks = [];
const offsets = []; // first line of each object's chunk
let lineCount = 0;
objects.forEach((o, i) => {
  const [group, version] = groupVersion(o.value.apiVersion ?? "v1");
  const chunk = `import type { ${o.value.kind} as T${i} } from "kubernetes-types/${group}/${version}";\n`
    + `export const o${i}: T${i} = ${JSON.stringify(o.value, null, 2)};`;
  offsets.push(lineCount);
  lineCount += chunk.split("\n").length;
  chunks.push(chunk);
});
writeFileSync(source, chunks.join("\n"));
try {
  const program = ts.createProgram([source], {
    strict: true, noEmit: true, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [],
  });
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (!d.file || d.file.fileName !== source) { console.log(`FAIL strict check could not run: ${message}`); process.exitCode = 1; continue; }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    let index = offsets.length - 1;
    while (index > 0 && offsets[index] > line) index--;
    const excess = message.match(/Object literal may only specify known properties, and '"?([^'"]+)"?' does not exist in type '([^']+)'/);
    objects[index].problems.push(excess ? `strict: unknown field '${excess[1]}' in ${excess[2]}` : `strict: ${message}`);
  }
} finally {
  rmSync(source, { force: true });
}

// --- references -----------------------------------------------------------------------------------------------------
const byKind = (kind) => objects.filter((o) => o.value.kind === kind);
const matches = (selector = {}, labels = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const workloads = byKind("Deployment");
const claims = new Set(byKind("PersistentVolumeClaim").map((o) => o.value.metadata.name));
const secrets = new Set(byKind("Secret").map((o) => o.value.metadata.name));

for (const o of workloads) {
  const spec = o.value.spec ?? {};
  const pod = spec.template?.spec ?? {};
  if (!matches(spec.selector?.matchLabels, spec.template?.metadata?.labels)) {
    o.problems.push("references: selector.matchLabels does not match the pod template's labels");
  }
  for (const volume of pod.volumes ?? []) {
    const claim = volume.persistentVolumeClaim?.claimName;
    if (claim && !claims.has(claim)) o.problems.push(`references: volume ${volume.name} claims unknown PVC ${claim}`);
  }
  const volumeNames = new Set((pod.volumes ?? []).map((v) => v.name));
  for (const c of pod.containers ?? []) {
    const ports = new Set((c.ports ?? []).map((p) => p.name));
    for (const m of c.volumeMounts ?? []) {
      if (!volumeNames.has(m.name)) o.problems.push(`references: ${c.name} mounts unknown volume ${m.name}`);
    }
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const port = c[probe]?.httpGet?.port;
      if (typeof port === "string" && !ports.has(port)) o.problems.push(`references: ${c.name} ${probe} names unknown port ${port}`);
    }
    for (const e of c.env ?? []) {
      const secret = e.valueFrom?.secretKeyRef?.name;
      if (secret && !secrets.has(secret)) o.problems.push(`references: ${c.name} env ${e.name} reads unknown Secret ${secret}`);
    }
  }
}
for (const o of byKind("Service")) {
  const selected = workloads.filter((w) => matches(o.value.spec?.selector, w.value.spec?.template?.metadata?.labels));
  if (selected.length === 0) o.problems.push("references: the selector matches no pod template");
  const portNames = new Set(selected.flatMap((w) => (w.value.spec.template.spec.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name))));
  for (const p of o.value.spec?.ports ?? []) {
    if (typeof p.targetPort === "string" && !portNames.has(p.targetPort)) o.problems.push(`references: targetPort ${p.targetPort} is no container port`);
  }
}
for (const o of byKind("PodDisruptionBudget")) {
  if (!workloads.some((w) => matches(o.value.spec?.selector?.matchLabels, w.value.spec?.template?.metadata?.labels))) {
    o.problems.push("references: the selector matches no pod template");
  }
}
for (const o of byKind("HorizontalPodAutoscaler")) {
  const ref = o.value.spec?.scaleTargetRef ?? {};
  const target = objects.find((t) => t.value.kind === ref.kind && t.value.metadata?.name === ref.name);
  if (!target) o.problems.push(`references: scaleTargetRef ${ref.kind}/${ref.name} is not in the set`);
  else if (target.value.spec?.replicas !== undefined) o.problems.push(`references: ${ref.kind}/${ref.name} sets replicas, which the HPA owns`);
  const cpu = target?.value.spec?.template?.spec?.containers?.every((c) => c.resources?.requests?.cpu);
  if (target && !cpu) o.problems.push("references: a CPU utilization target needs CPU requests on every container");
}

// --- report ---------------------------------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
for (const o of objects) {
  if (o.problems.length === 0) { passed++; console.log(`PASS ${name(o)} (${o.file})`); continue; }
  failed++;
  console.log(`FAIL ${name(o)} (${o.file})`);
  for (const p of o.problems) console.log(`     ${p}`);
}
console.log(`validate: ${passed} passed, ${failed} failed`);
if (failed) process.exitCode = 1;
