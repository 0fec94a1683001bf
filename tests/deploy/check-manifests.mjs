// Offline checks of the Kubernetes manifests in deploy/kubernetes (run by tests/deploy/run.sh).
//
//   node check-manifests.mjs --bin JWT_SIDECAR --work DIR [--reference KDIR=RENDERED.yaml]...
//                            KUSTOMIZATION_DIR...
//
// For every kustomization: render it (render.mjs), validate every object against the
// Kubernetes schemas (schema.mjs), write the jwt-sidecar config that each jwt-sidecar container
// will read to a file and run `jwt-sidecar check-config` on it, then check that the manifests
// agree with that config: ports, probes, Services, shutdown timing, securityContext, resources,
// autoscaler and disruption budget. --reference compares the render with one made by the real
// kustomize. Prints one line per problem and exits 1 when there is any.

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import YAML from "yaml";
import { render, RenderError } from "./render.mjs";
import { validateObject } from "./schema.mjs";

// Seconds kept free in terminationGracePeriodSeconds beyond preStop sleep + drain_timeout.
const GRACE_MARGIN = 5;
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

const args = process.argv.slice(2);
let bin = null;
let work = null;
const references = new Map();
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--bin") bin = args[++i];
  else if (args[i] === "--work") work = args[++i];
  else if (args[i] === "--reference") {
    const [dir, file] = args[++i].split("=");
    references.set(path.resolve(dir), file);
  } else dirs.push(args[i]);
}
if (!bin || !work || dirs.length === 0) {
  console.error("usage: node check-manifests.mjs --bin JWT_SIDECAR --work DIR [--reference KDIR=FILE]... KDIR...");
  process.exit(2);
}

let failures = 0;
function problem(where, message) {
  failures++;
  console.log(`FAIL ${where}: ${message}`);
}

const id = (o) => `${o.kind}/${o.metadata?.name}`;
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// "0.0.0.0:8080", "[::]:8080" -> {host, port}
function parseAddress(text) {
  const m = String(text ?? "").match(/^(\[[^\]]+\]|[^:\[\]]+):(\d+)$/);
  return m ? { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) } : null;
}
const isLoopback = (host) => host === "127.0.0.1" || host === "localhost" || host === "::1";
const isWildcard = (host) => host === "0.0.0.0" || host === "::";

// Durations as jwt-sidecar reads them: a whole number and ms, s, m or h.
function seconds(text) {
  const m = String(text).match(/^(\d+)(ms|s|m|h)$/);
  if (!m) return null;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
}

// CPU quantity -> cores.
function cores(q) {
  if (typeof q === "number") return q;
  const m = String(q ?? "").match(/^(\d+(?:\.\d+)?)(m?)$/);
  if (!m) return null;
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

function selects(selector, labels) {
  if (!isObject(selector) || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function imageName(image) {
  const noDigest = String(image ?? "").split("@")[0];
  const lastSlash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const repo = colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
  return repo.slice(repo.lastIndexOf("/") + 1);
}

// The port number a probe or Service port refers to, in `containers` (named ports are looked
// up in those containers' ports).
function resolvePort(port, containers) {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(String(port))) return Number(port);
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === port) return p.containerPort;
  }
  return null;
}

// The first route the kubelet's GET to `probePath` meets (the kubelet's Host header is the pod
// IP, so routes that match on host are passed over), with jwt-sidecar's matching rules.
function routeFor(config, probePath) {
  for (const route of config.routes ?? []) {
    const match = route.match ?? {};
    if (match.host !== undefined) continue;
    if (match.methods && !match.methods.includes("GET")) continue;
    if (match.path !== undefined && match.path !== probePath) continue;
    if (match.prefix !== undefined) {
      const prefix = match.prefix.replace(/\/+$/, "");
      if (!(prefix === "" || probePath === prefix || probePath.startsWith(`${prefix}/`))) continue;
    }
    return route;
  }
  return null;
}

// ---- per object ---------------------------------------------------------------------------

function checkSecurity(where, pod, c) {
  const podSc = pod.securityContext ?? {};
  const sc = c.securityContext;
  if (!isObject(sc)) {
    problem(where, "no securityContext");
    return;
  }
  const effective = (field) => (sc[field] !== undefined ? sc[field] : podSc[field]);
  if (effective("runAsNonRoot") !== true) problem(where, "runAsNonRoot is not true");
  const uid = effective("runAsUser");
  if (!Number.isInteger(uid) || uid === 0) problem(where, `runAsUser must be a numeric non-root UID, is ${uid}`);
  if (sc.allowPrivilegeEscalation !== false) problem(where, "allowPrivilegeEscalation is not false");
  if (sc.readOnlyRootFilesystem !== true) problem(where, "readOnlyRootFilesystem is not true");
  if (sc.privileged === true) problem(where, "privileged");
  if (!(sc.capabilities?.drop ?? []).includes("ALL")) problem(where, "capabilities.drop does not contain ALL");
  if ((sc.capabilities?.add ?? []).length) problem(where, `capabilities.add: ${sc.capabilities.add.join(", ")}`);
  const seccomp = effective("seccompProfile")?.type;
  if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
    problem(where, `seccompProfile.type is ${seccomp}, not RuntimeDefault or Localhost`);
  }
}

function checkResources(where, c) {
  for (const kind of ["requests", "limits"]) {
    for (const res of ["cpu", "memory"]) {
      if (c.resources?.[kind]?.[res] === undefined) problem(where, `no resources.${kind}.${res}`);
    }
  }
}

function preStopSleep(c) {
  const s = c.lifecycle?.preStop?.sleep?.seconds;
  return Number.isInteger(s) ? s : null;
}

// The jwt-sidecar config a container reads: {file, configMap, text} or null (problem reported).
function configSource(where, c, pod, byKindName) {
  const args = [...(c.command ?? []), ...(c.args ?? [])];
  let configPath = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--config") configPath = args[i + 1];
    else if (String(args[i]).startsWith("--config=")) configPath = args[i].slice(9);
  }
  if (!configPath) {
    problem(where, "no --config FILE in args (state the config path explicitly)");
    return null;
  }
  for (const m of c.volumeMounts ?? []) {
    let key = null;
    if (m.subPath !== undefined) {
      if (m.mountPath === configPath) key = m.subPath;
    } else if (configPath.startsWith(`${m.mountPath.replace(/\/+$/, "")}/`)) {
      key = configPath.slice(m.mountPath.replace(/\/+$/, "").length + 1);
    }
    if (key === null) continue;
    if (m.readOnly !== true) problem(where, `the config volume mount ${m.mountPath} is not readOnly`);
    const volume = (pod.volumes ?? []).find((v) => v.name === m.name);
    if (!volume?.configMap) {
      problem(where, `${configPath} comes from volume ${m.name}, which is not a ConfigMap volume`);
      return null;
    }
    const item = (volume.configMap.items ?? []).find((it) => it.path === key);
    if (volume.configMap.items && !item) {
      problem(where, `ConfigMap volume ${m.name} has no item with path ${key}`);
      return null;
    }
    const dataKey = item ? item.key : key;
    const cm = byKindName.get(`ConfigMap/${volume.configMap.name}`);
    if (!cm) {
      problem(where, `volume ${m.name} refers to ConfigMap ${volume.configMap.name}, which is not in the render`);
      return null;
    }
    if (typeof cm.data?.[dataKey] !== "string") {
      problem(where, `ConfigMap ${cm.metadata.name} has no key ${dataKey} (read as ${configPath})`);
      return null;
    }
    return { configPath, configMap: cm.metadata.name, key: dataKey, text: cm.data[dataKey] };
  }
  problem(where, `no volume is mounted at ${configPath}`);
  return null;
}

// Runs check-config on the config; returns it parsed, or null.
function checkConfig(where, source, outDir) {
  const dir = path.join(outDir, source.configMap);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, source.key);
  writeFileSync(file, source.text);
  try {
    const out = execFileSync(bin, ["check-config", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    console.log(`ok   ${where}: ${out.trim()}`);
  } catch (e) {
    problem(where, `jwt-sidecar check-config ${file} failed (exit ${e.status}):\n` +
      `${e.stdout ?? ""}${e.stderr ?? ""}`.trim().replace(/^/gm, "       "));
    return null;
  }
  return YAML.parse(source.text);
}

function checkSidecarPod(where, workload, objects, outDir) {
  const pod = workload.spec?.template?.spec ?? {};
  const containers = pod.containers ?? [];
  const sidecars = containers.filter((c) => imageName(c.image) === "jwt-sidecar");
  const byKindName = new Map(objects.map((o) => [id(o), o]));
  const result = [];
  for (const c of sidecars) {
    const cw = `${where} container ${c.name}`;
    const source = configSource(cw, c, pod, byKindName);
    if (!source) continue;
    const config = checkConfig(`${cw} (ConfigMap ${source.configMap})`, source, outDir);
    if (!config) continue;
    result.push({ container: c, config, source });

    const listen = parseAddress(config.listen);
    const admin = parseAddress(config.admin);
    if (!listen) { problem(cw, `config listen ${config.listen} is not host:port`); continue; }
    if (!admin) { problem(cw, "the config has no admin listener: the probes need /healthz and /readyz"); continue; }
    if (!isWildcard(listen.host)) problem(cw, `config listen ${config.listen} is not on every pod interface (0.0.0.0): the Service cannot reach it`);
    if (!isWildcard(admin.host)) problem(cw, `config admin ${config.admin} is not on every pod interface (0.0.0.0): the kubelet probes the pod IP`);

    const ports = new Map((c.ports ?? []).map((p) => [p.containerPort, p]));
    if (!ports.has(listen.port)) problem(cw, `no containerPort ${listen.port} (config listen ${config.listen})`);
    if (!ports.has(admin.port)) problem(cw, `no containerPort ${admin.port} (config admin ${config.admin})`);

    for (const [probe, wantPath] of [["readinessProbe", "/readyz"], ["livenessProbe", "/healthz"]]) {
      const get = c[probe]?.httpGet;
      if (!get) { problem(cw, `no ${probe}.httpGet`); continue; }
      if (get.path !== wantPath) problem(cw, `${probe} path is ${get.path}, expected ${wantPath}`);
      const port = resolvePort(get.port, [c]);
      if (port === null) problem(cw, `${probe} port ${get.port} is not a port name of this container`);
      else if (port !== admin.port) problem(cw, `${probe} port ${get.port} (${port}) is not the admin port ${admin.port} of the config`);
    }

    const threads = config.threads;
    const cpuLimit = cores(c.resources?.limits?.cpu);
    // 0 (the default) follows the container's CPU limit; an explicit count must fit in it.
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) {
      problem(cw, `config threads is ${threads}: not a thread count`);
    } else if (threads && cpuLimit !== null && threads > Math.ceil(cpuLimit)) {
      problem(cw, `config threads ${threads} exceeds the CPU limit ${c.resources.limits.cpu}`);
    }

    // Shutdown timing.
    const drain = config.limits?.drain_timeout;
    const drainSeconds = drain === undefined ? null : seconds(drain);
    const sleep = preStopSleep(c);
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (drain === undefined) problem(cw, "config limits.drain_timeout is not set explicitly");
    else if (drainSeconds === null) problem(cw, `config limits.drain_timeout ${drain} is not a duration`);
    if (sleep === null) problem(cw, "no lifecycle.preStop.sleep.seconds (the endpoints must be removed before the drain starts)");
    if (drainSeconds !== null && sleep !== null) {
      const need = sleep + Math.ceil(drainSeconds) + GRACE_MARGIN;
      if (grace < need) {
        problem(cw, `terminationGracePeriodSeconds ${grace} < preStop sleep ${sleep} + drain_timeout ${drain} + margin ${GRACE_MARGIN} = ${need}`);
      } else {
        console.log(`ok   ${cw}: terminationGracePeriodSeconds ${grace} >= preStop ${sleep} + drain_timeout ${drain} + ${GRACE_MARGIN}`);
      }
    }

    // Prometheus scrape annotations, when present, name the admin port.
    const ann = workload.spec?.template?.metadata?.annotations ?? {};
    if (ann["prometheus.io/scrape"] === "true") {
      if (ann["prometheus.io/port"] !== String(admin.port)) problem(where, `prometheus.io/port is ${ann["prometheus.io/port"]}, not the admin port ${admin.port}`);
      if ((ann["prometheus.io/path"] ?? "/metrics") !== "/metrics") problem(where, `prometheus.io/path is ${ann["prometheus.io/path"]}, not /metrics`);
    }

    // Services that select these pods send traffic to the proxy's port, never around it.
    const labels = workload.spec?.template?.metadata?.labels ?? {};
    const services = objects.filter((o) => o.kind === "Service" && selects(o.spec?.selector, labels));
    if (services.length === 0) problem(where, "no Service selects these pods");
    for (const s of services) {
      for (const p of s.spec?.ports ?? []) {
        const target = resolvePort(p.targetPort ?? p.port, containers);
        if (target !== listen.port) {
          problem(`${id(s)} port ${p.name ?? p.port}`, `targetPort ${p.targetPort ?? p.port} (${target}) is not jwt-sidecar's listen port ${listen.port} in ${where}`);
        }
      }
    }

    // The other containers of the pod: the protected application in the sidecar pattern.
    const upstream = String(config.upstream ?? "").match(/^(?:http|h2c):\/\/(\[[^\]]+\]|[^:/]+):?(\d+)?/);
    const upstreamHost = upstream?.[1].replace(/^\[|\]$/g, "");
    const upstreamPort = upstream ? Number(upstream[2] ?? 80) : null;
    const apps = containers.filter((x) => !sidecars.includes(x));
    if (upstream && isLoopback(upstreamHost)) {
      if (apps.length === 0) problem(where, `config upstream ${config.upstream} is in the pod, but the pod has no application container`);
      if ([listen.port, admin.port].includes(upstreamPort)) problem(cw, `upstream port ${upstreamPort} collides with jwt-sidecar's own ports`);
      for (const app of apps) {
        const aw = `${where} container ${app.name}`;
        const texts = [...(app.command ?? []), ...(app.args ?? []), ...(app.env ?? []).map((e) => e.value ?? "")].map(String);
        const bound = texts.some((t) => new RegExp(`(127\\.0\\.0\\.1|localhost|\\[::1\\]):${upstreamPort}(?!\\d)`).test(t));
        if (!bound) problem(aw, `does not state that it listens on 127.0.0.1:${upstreamPort} (the config's upstream) in its args or env`);
        const open = texts.find((t) => /0\.0\.0\.0|\[::\]|(^|[=\s]):\d+/.test(t));
        if (open) problem(aw, `listens beyond loopback ("${open}"): clients could bypass jwt-sidecar`);
        if ((app.ports ?? []).some((p) => p.containerPort === upstreamPort)) {
          problem(aw, `declares containerPort ${upstreamPort}, but the app is reachable on loopback only`);
        }
        for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
          const get = app[probe]?.httpGet;
          if (!get) continue;
          const port = resolvePort(get.port, [app]);
          if (port === null) { problem(aw, `${probe} port ${get.port} is not a port name of this container`); continue; }
          if (port !== listen.port) {
            problem(aw, `${probe} port ${port}: the kubelet cannot reach the app's loopback port; probe through jwt-sidecar's port ${listen.port}`);
            continue;
          }
          const route = routeFor(config, get.path ?? "/");
          if (!route) problem(aw, `${probe} GET ${get.path} matches no route of the config: 404`);
          else if (!["none", "optional"].includes(route.auth ?? "required")) {
            problem(aw, `${probe} GET ${get.path} meets route ${route.name} with auth ${route.auth ?? "required"}: the kubelet has no token`);
          }
        }
        const appSleep = preStopSleep(app);
        if (drainSeconds !== null && sleep !== null) {
          const need = sleep + Math.ceil(drainSeconds);
          if (appSleep === null || appSleep < need) {
            problem(aw, `preStop sleep ${appSleep} < jwt-sidecar's preStop ${sleep} + drain_timeout ${drain} = ${need}: the app would stop while requests still drain through the proxy`);
          } else if (grace < appSleep + GRACE_MARGIN) {
            problem(aw, `terminationGracePeriodSeconds ${grace} < preStop sleep ${appSleep} + margin ${GRACE_MARGIN}`);
          }
        }
      }
    }
  }
  return result;
}

async function checkRender(dir) {
  const name = path.relative(process.cwd(), dir) || dir;
  let objects;
  try {
    objects = render(dir);
  } catch (e) {
    problem(name, e instanceof RenderError ? `render: ${e.message}` : e.stack);
    return [];
  }
  console.log(`ok   ${name}: rendered ${objects.map(id).join(", ")}`);

  const reference = references.get(path.resolve(dir));
  if (reference) {
    const theirs = YAML.parseAllDocuments(readFileSync(reference, "utf8")).map((d) => d.toJSON()).filter(Boolean);
    const key = (o) => `${o.apiVersion} ${id(o)}`;
    const mine = new Map(objects.map((o) => [key(o), o]));
    const ref = new Map(theirs.map((o) => [key(o), o]));
    let same = true;
    for (const k of new Set([...mine.keys(), ...ref.keys()])) {
      if (!mine.has(k) || !ref.has(k)) {
        same = false;
        problem(name, `${k} is only in the ${mine.has(k) ? "render.mjs" : "kustomize"} render`);
      } else if (!isDeepStrictEqual(mine.get(k), ref.get(k))) {
        same = false;
        problem(name, `${k} differs between render.mjs and kustomize:\n  render.mjs: ${JSON.stringify(mine.get(k))}\n  kustomize:  ${JSON.stringify(ref.get(k))}`);
      }
    }
    if (same) console.log(`ok   ${name}: render.mjs and kustomize agree (${mine.size} objects)`);
  }

  for (const o of objects) {
    let problems;
    try {
      problems = await validateObject(o);
    } catch (e) {
      problems = [`schema check crashed: ${e.message}`];
    }
    for (const p of problems) problem(`${name} ${id(o)}`, `schema: ${p}`);
    if (problems.length === 0) console.log(`ok   ${name} ${id(o)}: valid ${o.apiVersion} ${o.kind}`);
  }

  const outDir = path.join(work, "configs", name.replace(/[^A-Za-z0-9._-]+/g, "_"));
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  const usedConfigMaps = new Set();
  let sidecarCount = 0;
  for (const w of workloads) {
    const where = `${name} ${id(w)}`;
    const spec = w.spec ?? {};
    const pod = spec.template?.spec ?? {};
    const labels = spec.template?.metadata?.labels ?? {};
    if (!selects(spec.selector?.matchLabels, labels)) problem(where, "spec.selector.matchLabels does not match the pod template's labels");
    if (spec.selector?.matchExpressions) problem(where, "matchExpressions are not checked by this test; use matchLabels");
    if (pod.automountServiceAccountToken !== false) problem(where, "automountServiceAccountToken is not false (jwt-sidecar needs no Kubernetes API access)");
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      checkSecurity(`${where} container ${c.name}`, pod, c);
      checkResources(`${where} container ${c.name}`, c);
    }
    for (const v of pod.volumes ?? []) if (v.configMap) usedConfigMaps.add(v.configMap.name);
    const found = checkSidecarPod(where, w, objects, outDir);
    sidecarCount += found.length;

    // Disruption budget and autoscaler.
    const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler" &&
      o.spec?.scaleTargetRef?.kind === w.kind && o.spec.scaleTargetRef.name === w.metadata.name);
    const minReplicas = hpas.length ? hpas[0].spec.minReplicas ?? 1 : spec.replicas ?? 1;
    if (hpas.length > 1) problem(where, "more than one HorizontalPodAutoscaler targets it");
    if (hpas.length && spec.replicas !== undefined) problem(where, `spec.replicas is set (${spec.replicas}) although ${id(hpas[0])} owns the replica count: every apply would reset it`);
    const pdbs = objects.filter((o) => o.kind === "PodDisruptionBudget" && selects(o.spec?.selector?.matchLabels, labels));
    if (pdbs.length !== 1) problem(where, `${pdbs.length} PodDisruptionBudgets select its pods (expected one)`);
    for (const pdb of pdbs) {
      const min = pdb.spec.minAvailable;
      const max = pdb.spec.maxUnavailable;
      const pct = (v) => Math.ceil((parseFloat(v) / 100) * minReplicas);
      const allowed = min !== undefined
        ? minReplicas - (typeof min === "string" ? pct(min) : min)
        : (typeof max === "string" ? Math.floor((parseFloat(max) / 100) * minReplicas) : max);
      if (!(allowed >= 1)) problem(`${name} ${id(pdb)}`, `allows no voluntary disruption at ${minReplicas} replicas: node drains would block`);
    }
  }
  if (sidecarCount === 0) problem(name, "no jwt-sidecar container found (image .../jwt-sidecar:TAG)");

  for (const o of objects) {
    const where = `${name} ${id(o)}`;
    if (o.kind === "ConfigMap" && !usedConfigMaps.has(o.metadata.name)) problem(where, "no workload mounts this ConfigMap");
    if (o.kind === "PodDisruptionBudget" && !workloads.some((w) => selects(o.spec?.selector?.matchLabels, w.spec?.template?.metadata?.labels))) {
      problem(where, "its selector matches the pods of no workload");
    }
    if (o.kind === "Service" && !workloads.some((w) => selects(o.spec?.selector, w.spec?.template?.metadata?.labels))) {
      problem(where, "its selector matches the pods of no workload");
    }
    if (o.kind === "HorizontalPodAutoscaler") {
      const ref = o.spec?.scaleTargetRef ?? {};
      const target = workloads.find((w) => w.kind === ref.kind && w.metadata.name === ref.name && w.apiVersion === ref.apiVersion);
      if (!target) {
        problem(where, `scaleTargetRef ${ref.apiVersion} ${ref.kind}/${ref.name} names no workload of the render`);
        continue;
      }
      if ((o.spec.minReplicas ?? 1) > o.spec.maxReplicas) problem(where, "minReplicas > maxReplicas");
      const cpuMetric = (o.spec.metrics ?? []).some((m) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource?.target?.type === "Utilization");
      if (cpuMetric) {
        for (const c of target.spec.template.spec.containers ?? []) {
          if (c.resources?.requests?.cpu === undefined) problem(where, `CPU utilisation needs a CPU request on container ${c.name}`);
        }
      }
      console.log(`ok   ${where}: scales ${id(target)}`);
    }
  }
  return objects;
}

const renders = [];
for (const dir of dirs) renders.push({ dir, objects: await checkRender(dir) });

// Two renders applied to one namespace must not adopt each other's pods.
for (const a of renders) {
  for (const b of renders) {
    if (a === b) continue;
    for (const o of a.objects) {
      const selector = o.kind === "Service" ? o.spec?.selector : o.spec?.selector?.matchLabels;
      if (!selector) continue;
      for (const w of b.objects.filter((x) => WORKLOADS.has(x.kind))) {
        if (selects(selector, w.spec?.template?.metadata?.labels)) {
          problem(`${a.dir} ${id(o)}`, `its selector also matches the pods of ${b.dir} ${id(w)}`);
        }
      }
    }
  }
}

if (failures) {
  console.log(`check-manifests: ${failures} problem(s)`);
  process.exit(1);
}
console.log("check-manifests: all checks passed");
