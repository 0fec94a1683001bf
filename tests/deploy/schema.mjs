// Offline validation of Kubernetes objects against the API's OpenAPI schemas, as bundled by the
// npm package kubernetes-models (generated from the Kubernetes OpenAPI spec):
//  1. the model class's validate(): types, required fields, enums, formats;
//  2. unknown fields, which those schemas allow but `kubectl apply` refuses (strict field
//     validation is its default since Kubernetes 1.27): every field name is looked up in the
//     model's generated TypeScript declarations (interface I<Kind> { "field"?: Type; ... }),
//     following their imports down the tree.

import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const roots = {
  "kubernetes-models": path.dirname(require.resolve("kubernetes-models")),
  "@kubernetes-models/apimachinery": path.dirname(require.resolve("@kubernetes-models/apimachinery")),
};

function modelModule(apiVersion) {
  return `kubernetes-models/${apiVersion.includes("/") ? apiVersion : `v1`}`;
}

function declarationFile(apiVersion, kind) {
  const dir = apiVersion.includes("/") ? apiVersion : "v1";
  return path.join(roots["kubernetes-models"], dir, `${kind}.d.ts`);
}

// ---- reading the generated declarations ---------------------------------------------------

const files = new Map();

function readDeclarations(file) {
  if (files.has(file)) return files.get(file);
  if (!existsSync(file)) throw new Error(`schema: no declaration file ${file}`);
  const text = readFileSync(file, "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g)) {
    for (const name of m[1].split(",").map((s) => s.trim())) imports.set(name, m[2]);
  }
  // export { IFoo as IIoK8s...Foo, Foo as IoK8s...Foo }
  const aliases = new Map();
  for (const m of text.matchAll(/export \{ ([^}]+) \};/g)) {
    for (const part of m[1].split(",")) {
      const [local, exported] = part.trim().split(/\s+as\s+/);
      if (exported) aliases.set(exported, local);
    }
  }
  const parsed = { file, text, imports, aliases };
  files.set(file, parsed);
  return parsed;
}

function resolveImport(fromFile, spec) {
  let base;
  if (spec.startsWith(".")) {
    base = path.resolve(path.dirname(fromFile), spec);
  } else {
    const root = Object.keys(roots).find((r) => spec === r || spec.startsWith(`${r}/`));
    if (!root) throw new Error(`schema: cannot resolve ${spec} imported by ${fromFile}`);
    base = path.join(roots[root], spec.slice(root.length));
  }
  return `${base}.d.ts`;
}

// The fields of interface `name` in `file`: Map field -> type text; or null when the name is a
// type alias (a leaf such as Quantity or IntOrString).
const interfaces = new Map();

function fieldsOf(file, name) {
  const key = `${file}#${name}`;
  if (interfaces.has(key)) return interfaces.get(key);
  const decl = readDeclarations(file);
  const local = decl.aliases.get(name) ?? name;
  if (new RegExp(`export declare type ${local}\\b`).test(decl.text)) {
    interfaces.set(key, null);
    return null;
  }
  const start = decl.text.search(new RegExp(`export interface ${local}( extends [^{]+)? \\{`));
  if (start < 0) throw new Error(`schema: no interface ${local} in ${file}`);
  const header = decl.text.slice(start, decl.text.indexOf("{", start));
  let depth = 0;
  let i = decl.text.indexOf("{", start);
  const bodyStart = i + 1;
  for (; i < decl.text.length; i++) {
    if (decl.text[i] === "{") depth++;
    if (decl.text[i] === "}" && --depth === 0) break;
  }
  const body = decl.text.slice(bodyStart, i);
  const fields = new Map();
  if (/extends TypeMeta/.test(header)) {
    fields.set("apiVersion", "string");
    fields.set("kind", "string");
  }
  // Fields at depth 0 of the body: "name"?: Type;  (Type may span lines: { [key: string]: T; })
  let d = 0;
  let current = null;
  let buffer = "";
  for (const line of body.split("\n")) {
    if (d === 0) {
      const m = line.match(/^\s*"([^"]+)"\??: (.*)$/);
      if (!m) continue;
      current = m[1];
      buffer = m[2];
    } else {
      buffer += ` ${line.trim()}`;
    }
    for (const ch of line) {
      if (ch === "{") d++;
      if (ch === "}") d--;
    }
    if (d === 0 && current) {
      fields.set(current, buffer.replace(/;\s*$/, "").trim());
      current = null;
    }
  }
  const result = { file, fields };
  interfaces.set(key, result);
  return result;
}

// A type text -> {kind: "leaf"} | {kind: "ref", file, name} | {kind: "array"|"map", of}
function classify(fromFile, type) {
  let m = type.match(/^Array<(.*)>$/);
  if (m) return { kind: "array", of: classify(fromFile, m[1]) };
  m = type.match(/^\{ \[key: string\]: (.*?);? \}$/);
  if (m) return { kind: "map", of: classify(fromFile, m[1]) };
  m = type.match(/^(IIoK8s\w+)$/);
  if (m) {
    const spec = readDeclarations(fromFile).imports.get(m[1]);
    if (!spec) throw new Error(`schema: ${m[1]} is not imported in ${fromFile}`);
    return { kind: "ref", file: resolveImport(fromFile, spec), name: m[1] };
  }
  if (/IIoK8s|IJSONSchemaProps/.test(type)) {
    throw new Error(`schema: cannot follow the type '${type}' in ${fromFile}`);
  }
  return { kind: "leaf" };
}

function walk(value, type, at, errors) {
  if (value === null || value === undefined) return;
  if (type.kind === "leaf") return;
  if (type.kind === "array") {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, type.of, `${at}[${i}]`, errors));
    return;
  }
  if (typeof value !== "object" || Array.isArray(value)) return;  // validate() reports it
  if (type.kind === "map") {
    for (const [k, v] of Object.entries(value)) walk(v, type.of, `${at}.${k}`, errors);
    return;
  }
  const shape = fieldsOf(type.file, type.name);
  if (shape === null) return;
  for (const [k, v] of Object.entries(value)) {
    const fieldType = shape.fields.get(k);
    if (fieldType === undefined) {
      errors.push(`unknown field "${at ? `${at}.` : ""}${k}"`);
      continue;
    }
    walk(v, classify(shape.file, fieldType), at ? `${at}.${k}` : k, errors);
  }
}

// Returns a list of problems (empty when the object is valid).
export async function validateObject(obj) {
  const problems = [];
  let mod;
  try {
    mod = await import(modelModule(obj.apiVersion));
  } catch {
    return [`no schema for apiVersion ${obj.apiVersion}`];
  }
  const Model = mod[obj.kind];
  if (typeof Model !== "function" || Model.apiVersion !== obj.apiVersion) {
    return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  }
  try {
    new Model(JSON.parse(JSON.stringify(obj))).validate();
  } catch (e) {
    const details = Array.isArray(e.errors)
      ? e.errors.map((x) => `${x.instancePath || "/"} ${x.message}${x.params ? ` ${JSON.stringify(x.params)}` : ""}`)
      : [e.message];
    problems.push(...details);
  }
  const file = declarationFile(obj.apiVersion, obj.kind);
  walk(obj, { kind: "ref", file, name: `I${obj.kind}` }, "", problems);
  return problems;
}
