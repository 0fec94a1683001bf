// A small, offline implementation of the part of Kustomize that deploy/kubernetes uses, so the
// manifests can be rendered and checked where no kustomize or kubectl binary exists.
//
// Supported, with Kustomize's semantics (kustomize v5 is the reference; tests/deploy/run.sh
// compares the two whenever `kubectl kustomize` is available):
//   resources            files (multi-document YAML) and directories (nested kustomizations)
//   configMapGenerator   name, files (KEY=PATH or PATH), behavior create | replace | merge;
//                        the name gets Kustomize's content hash suffix unless
//                        generatorOptions.disableNameSuffixHash is true
//   generatorOptions     disableNameSuffixHash only
//   patches              strategic merge patches given by `path`, target found by the patch's
//                        apiVersion, kind and metadata.name; `field: null` removes a field,
//                        `$patch: delete` removes a list item; lists merge by key only where
//                        MERGE_KEYS below says so
//   labels               pairs, includeSelectors, includeTemplates
//   namePrefix
// and, at the top level only, like Kustomize: the hash suffixes, then every reference to a
// renamed ConfigMap (pod volumes, env, envFrom) or workload (HorizontalPodAutoscaler
// scaleTargetRef) is rewritten to the final name.
// Anything else in a kustomization is an error, never silently ignored.
//
// Usage as a program: node render.mjs DIR   (prints the rendered objects as YAML)

import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import YAML from "yaml";

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
const SUPPORTED_FIELDS = new Set([
  "apiVersion", "kind", "resources", "configMapGenerator", "generatorOptions", "patches",
  "labels", "namePrefix",
]);

export class RenderError extends Error {}

function fail(where, message) {
  throw new RenderError(`${where}: ${message}`);
}

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parseDocuments(file) {
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"));
  const out = [];
  for (const doc of docs) {
    if (doc.errors.length) fail(file, `YAML error: ${doc.errors[0].message}`);
    const value = doc.toJSON();
    if (value === null || value === undefined) continue;
    if (!isObject(value)) fail(file, "a document is not a mapping");
    out.push(value);
  }
  return out;
}

function kustomizationFile(dir) {
  const found = KUSTOMIZATION_FILES.filter((f) => existsSync(path.join(dir, f)));
  if (found.length === 0) fail(dir, "no kustomization.yaml");
  if (found.length > 1) fail(dir, `more than one kustomization file: ${found.join(", ")}`);
  return path.join(dir, found[0]);
}

// One rendered object and the names it had, for rewriting references later.
function record(obj, where) {
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
    fail(where, "an object without apiVersion or kind");
  }
  if (!isObject(obj.metadata) || typeof obj.metadata.name !== "string" || !obj.metadata.name) {
    fail(where, `${obj.kind} without metadata.name`);
  }
  return { obj, names: [obj.metadata.name], needsHash: false, where };
}

const idOf = (r) => `${r.obj.kind}/${r.obj.metadata.name}`;

// ---- configMapGenerator -------------------------------------------------------------------

function generateConfigMap(dir, spec, where) {
  for (const key of Object.keys(spec)) {
    if (!["name", "files", "behavior"].includes(key)) {
      fail(where, `configMapGenerator field '${key}' is not supported by this renderer`);
    }
  }
  if (typeof spec.name !== "string" || !spec.name) fail(where, "configMapGenerator entry without name");
  const data = {};
  for (const entry of spec.files ?? []) {
    const eq = String(entry).indexOf("=");
    const key = eq >= 0 ? entry.slice(0, eq) : path.basename(entry);
    const file = path.resolve(dir, eq >= 0 ? entry.slice(eq + 1) : entry);
    if (!existsSync(file)) fail(where, `configMapGenerator ${spec.name}: no file ${file}`);
    if (key in data) fail(where, `configMapGenerator ${spec.name}: key ${key} twice`);
    data[key] = readFileSync(file, "utf8");
  }
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: spec.name }, data };
}

// Kustomize's ConfigMap hash (api/hasher): sha256 of the JSON encoding, with Go's
// encoding/json rules (sorted keys, <, > and & escaped), of {data, kind, name}; the first ten
// hex digits with 0 1 3 a e mapped to g h k m t. Kustomize v5 looks the name up with
// yaml.Lookup("metadata/name"), which finds no field of that name, so "name" is always the
// empty string there and only the data counts; this does the same (checked against
// `kubectl kustomize`, which bundles kustomize v5).
function goJson(value) {
  if (typeof value === "string") {
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) {
      throw new RenderError("control characters in ConfigMap data are not supported by the hash");
    }
    return JSON.stringify(value)
      .replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026")
      .replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
  }
  if (isObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${goJson(k)}:${goJson(value[k])}`).join(",")}}`;
  }
  throw new RenderError(`unexpected value in ConfigMap data: ${JSON.stringify(value)}`);
}

export function configMapHash(cm) {
  if (cm.binaryData) throw new RenderError("binaryData is not supported by this renderer");
  const encoded = goJson({ kind: "ConfigMap", name: "", data: cm.data ?? {} });
  const hex = createHash("sha256").update(encoded, "utf8").digest("hex").slice(0, 10);
  const map = { 0: "g", 1: "h", 3: "k", a: "m", e: "t" };
  return [...hex].map((c) => map[c] ?? c).join("");
}

// ---- strategic merge patch ----------------------------------------------------------------

// Lists of objects that merge item by item (the patchMergeKey of the Kubernetes API types);
// keyed by "Kind:path" with [] for list items. Any other list is replaced as a whole; a patch
// that would replace a list of objects not named here is refused, so that this renderer never
// quietly differs from Kustomize.
const POD = "spec.template.spec";
const MERGE_KEYS = {};
for (const kind of ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]) {
  for (const list of ["containers", "initContainers"]) {
    MERGE_KEYS[`${kind}:${POD}.${list}`] = "name";
    MERGE_KEYS[`${kind}:${POD}.${list}[].ports`] = "containerPort";
    MERGE_KEYS[`${kind}:${POD}.${list}[].env`] = "name";
    MERGE_KEYS[`${kind}:${POD}.${list}[].volumeMounts`] = "mountPath";
  }
  MERGE_KEYS[`${kind}:${POD}.volumes`] = "name";
  MERGE_KEYS[`${kind}:${POD}.imagePullSecrets`] = "name";
}
MERGE_KEYS["Service:spec.ports"] = "port";

function mergeValue(target, patch, kind, at, where) {
  if (!isObject(patch)) return clone(patch);
  if (!isObject(target)) target = {};
  if ("$patch" in patch) fail(where, `$patch: ${patch.$patch} on a mapping at ${at} is not supported`);
  for (const [key, value] of Object.entries(patch)) {
    const here = at ? `${at}.${key}` : key;
    if (key.startsWith("$")) fail(where, `directive ${key} at ${here} is not supported`);
    if (value === null) {
      delete target[key];
    } else if (Array.isArray(value)) {
      target[key] = mergeList(target[key], value, kind, here, where);
    } else if (isObject(value)) {
      target[key] = mergeValue(target[key], value, kind, here, where);
    } else {
      target[key] = value;
    }
  }
  return target;
}

function mergeList(target, patch, kind, at, where) {
  const key = MERGE_KEYS[`${kind}:${at}`];
  if (!key) {
    if (patch.some(isObject)) {
      fail(where, `no merge key known for the list ${at} of ${kind}; extend MERGE_KEYS`);
    }
    return clone(patch);
  }
  const out = Array.isArray(target) ? clone(target) : [];
  for (const item of patch) {
    if (!isObject(item) || !(key in item)) fail(where, `an item of ${at} without ${key}`);
    const index = out.findIndex((t) => isObject(t) && t[key] === item[key]);
    if (item.$patch === "delete") {
      if (index < 0) fail(where, `$patch: delete of ${at} ${key}=${item[key]}, which does not exist`);
      out.splice(index, 1);
      continue;
    }
    if ("$patch" in item) fail(where, `$patch: ${item.$patch} in ${at} is not supported`);
    if (index >= 0) {
      out[index] = mergeValue(out[index], item, kind, `${at}[]`, where);
    } else {
      out.push(mergeValue({}, item, kind, `${at}[]`, where));
    }
  }
  return out;
}

function applyPatch(records, dir, entry, where) {
  for (const key of Object.keys(entry)) {
    if (key !== "path") fail(where, `patches field '${key}' is not supported (only path)`);
  }
  const file = path.resolve(dir, entry.path);
  if (!existsSync(file)) fail(where, `patch file ${file} does not exist`);
  for (const patch of parseDocuments(file)) {
    const name = patch.metadata?.name;
    const targets = records.filter((r) => r.obj.apiVersion === patch.apiVersion &&
      r.obj.kind === patch.kind && r.obj.metadata.name === name);
    if (targets.length !== 1) {
      fail(file, `the patch for ${patch.apiVersion} ${patch.kind}/${name} matches ` +
        `${targets.length} objects (expected one)`);
    }
    const { apiVersion, kind, ...rest } = patch;
    targets[0].obj = mergeValue(targets[0].obj, rest, kind, "", file);
  }
}

// ---- labels -------------------------------------------------------------------------------

// Where Kustomize's label transformer writes selectors and templates (its commonLabels field
// specs), for the kinds used here. create = the map is added when missing.
const SELECTOR_FIELDS = {
  Deployment: [["spec.selector.matchLabels", true]],
  StatefulSet: [["spec.selector.matchLabels", true]],
  DaemonSet: [["spec.selector.matchLabels", true]],
  ReplicaSet: [["spec.selector.matchLabels", true]],
  Service: [["spec.selector", true]],
  PodDisruptionBudget: [["spec.selector.matchLabels", false]],
};
const TEMPLATE_FIELDS = {
  Deployment: "spec.template.metadata.labels",
  StatefulSet: "spec.template.metadata.labels",
  DaemonSet: "spec.template.metadata.labels",
  ReplicaSet: "spec.template.metadata.labels",
};
const NO_SELECTORS = new Set(["ConfigMap", "Secret", "HorizontalPodAutoscaler", "ServiceAccount"]);

function setLabels(obj, dotted, pairs, create) {
  const parts = dotted.split(".");
  let node = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(node[part])) {
      if (!create) return;
      node[part] = {};
    }
    node = node[part];
  }
  const last = parts[parts.length - 1];
  if (!isObject(node[last])) {
    if (!create) return;
    node[last] = {};
  }
  Object.assign(node[last], pairs);
}

function applyLabels(records, entry, where) {
  for (const key of Object.keys(entry)) {
    if (!["pairs", "includeSelectors", "includeTemplates"].includes(key)) {
      fail(where, `labels field '${key}' is not supported`);
    }
  }
  if (!isObject(entry.pairs)) fail(where, "labels entry without pairs");
  const pairs = Object.fromEntries(Object.entries(entry.pairs).map(([k, v]) => [k, String(v)]));
  for (const r of records) {
    setLabels(r.obj, "metadata.labels", pairs, true);
    const kind = r.obj.kind;
    if (entry.includeSelectors) {
      if (!SELECTOR_FIELDS[kind] && !NO_SELECTORS.has(kind)) {
        fail(where, `labels with includeSelectors: ${kind} is not supported by this renderer`);
      }
      for (const [field, create] of SELECTOR_FIELDS[kind] ?? []) setLabels(r.obj, field, pairs, create);
    }
    if ((entry.includeSelectors || entry.includeTemplates) && TEMPLATE_FIELDS[kind]) {
      setLabels(r.obj, TEMPLATE_FIELDS[kind], pairs, true);
    }
  }
}

// ---- building -----------------------------------------------------------------------------

function build(dir, stack) {
  const real = path.resolve(dir);
  if (stack.includes(real)) fail(real, "kustomization cycle");
  const file = kustomizationFile(real);
  const docs = parseDocuments(file);
  if (docs.length !== 1) fail(file, "expected exactly one document");
  const k = docs[0];
  for (const key of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(key)) {
      fail(file, `field '${key}' is not supported by tests/deploy/render.mjs`);
    }
  }
  if (k.kind !== undefined && k.kind !== "Kustomization") fail(file, `kind ${k.kind}`);

  let records = [];
  for (const entry of k.resources ?? []) {
    const target = path.resolve(real, entry);
    if (!existsSync(target)) fail(file, `resource ${entry} does not exist`);
    if (statSync(target).isDirectory()) {
      records.push(...build(target, [...stack, real]));
    } else {
      for (const obj of parseDocuments(target)) records.push(record(obj, target));
    }
  }

  const options = k.generatorOptions ?? {};
  for (const key of Object.keys(options)) {
    if (key !== "disableNameSuffixHash") fail(file, `generatorOptions.${key} is not supported`);
  }
  for (const spec of k.configMapGenerator ?? []) {
    const behavior = spec.behavior ?? "create";
    const generated = generateConfigMap(real, spec, file);
    const existing = records.filter((r) => r.obj.kind === "ConfigMap" && r.names[0] === spec.name);
    if (behavior === "create") {
      if (existing.length) fail(file, `ConfigMap ${spec.name} already exists (use behavior: replace or merge)`);
      const r = record(generated, file);
      r.needsHash = !options.disableNameSuffixHash;
      records.push(r);
    } else if (behavior === "replace" || behavior === "merge") {
      if (existing.length !== 1) fail(file, `behavior: ${behavior} needs one ConfigMap ${spec.name}, found ${existing.length}`);
      const r = existing[0];
      r.obj.data = behavior === "replace" ? generated.data : { ...(r.obj.data ?? {}), ...generated.data };
      r.needsHash = r.needsHash && !options.disableNameSuffixHash;
    } else {
      fail(file, `configMapGenerator behavior ${behavior}`);
    }
  }

  const seen = new Set();
  for (const r of records) {
    const id = `${r.obj.apiVersion} ${idOf(r)}`;
    if (seen.has(id)) fail(file, `${id} appears twice`);
    seen.add(id);
  }

  for (const entry of k.patches ?? []) applyPatch(records, real, entry, file);
  for (const entry of k.labels ?? []) applyLabels(records, entry, file);
  if (k.namePrefix !== undefined) {
    if (typeof k.namePrefix !== "string") fail(file, "namePrefix must be a string");
    for (const r of records) {
      if (["Namespace", "CustomResourceDefinition"].includes(r.obj.kind)) {
        fail(file, `namePrefix on a ${r.obj.kind} is not supported`);
      }
      r.obj.metadata.name = k.namePrefix + r.obj.metadata.name;
      r.names.push(r.obj.metadata.name);
    }
  }
  return records;
}

// ---- references ---------------------------------------------------------------------------

function podSpecOf(obj) {
  if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(obj.kind)) {
    return obj.spec?.template?.spec;
  }
  if (obj.kind === "CronJob") return obj.spec?.jobTemplate?.spec?.template?.spec;
  if (obj.kind === "Pod") return obj.spec;
  return undefined;
}

function fixReferences(records) {
  const rename = (kind, holder, field, where) => {
    const old = holder?.[field];
    if (typeof old !== "string") return;
    const matches = records.filter((r) => r.obj.kind === kind && r.names.includes(old));
    if (matches.length > 1) fail(where, `${kind} reference ${old} is ambiguous`);
    if (matches.length === 1) holder[field] = matches[0].obj.metadata.name;
  };
  for (const r of records) {
    const where = `${idOf(r)} (${r.where})`;
    const pod = podSpecOf(r.obj);
    if (pod) {
      for (const v of pod.volumes ?? []) {
        rename("ConfigMap", v.configMap, "name", where);
        for (const s of v.projected?.sources ?? []) rename("ConfigMap", s.configMap, "name", where);
      }
      for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
        for (const e of c.env ?? []) rename("ConfigMap", e.valueFrom?.configMapKeyRef, "name", where);
        for (const e of c.envFrom ?? []) rename("ConfigMap", e.configMapRef, "name", where);
      }
    }
    if (r.obj.kind === "HorizontalPodAutoscaler") {
      const ref = r.obj.spec?.scaleTargetRef;
      if (ref) rename(ref.kind, ref, "name", where);
    }
  }
}

// Renders the kustomization in `dir`; returns the objects (plain JSON values).
export function render(dir) {
  const records = build(dir, []);
  for (const r of records) {
    if (r.needsHash) {
      r.obj.metadata.name = `${r.obj.metadata.name}-${configMapHash(r.obj)}`;
      r.names.push(r.obj.metadata.name);
    }
  }
  fixReferences(records);
  return records.map((r) => r.obj);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.length !== 3) {
    console.error("usage: node render.mjs KUSTOMIZATION_DIR");
    process.exit(2);
  }
  try {
    process.stdout.write(render(process.argv[2]).map((o) => YAML.stringify(o)).join("---\n"));
  } catch (e) {
    console.error(`render: ${e instanceof RenderError ? e.message : e.stack}`);
    process.exit(1);
  }
}
