// Offline checks of deploy/Dockerfile against the built binary and the repository (run by
// tests/deploy/run.sh; Node.js built-ins only, so it runs even where npm is missing).
//
//   node check-dockerfile.mjs --dockerfile FILE --context DIR --bin JWT_SIDECAR --out FILE.json
//
// - every shared library that `ldd` lists for the binary belongs (dpkg -S) to libc6, which the
//   Debian base image has, or to a package the runtime stage installs with apt-get;
// - the build stage installs the -dev package of each of those libraries, only packages that
//   deploy/install-deps.sh also installs, and configures the release preset with options the
//   project knows (run.sh configures with them to prove that);
// - the runtime stage: ca-certificates, a numeric non-root USER that a RUN creates, EXPOSE of
//   the default config's listen and admin ports, that config copied in and valid
//   (check-config), a HEALTHCHECK in exec form whose program exists in the image and that asks
//   the admin port, ENTRYPOINT and CMD in exec form;
// - a .dockerignore at the context root keeps build/ and node_modules out.
// Writes what run.sh needs next (the HEALTHCHECK command, the cmake options, the ports) to --out.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";

const opts = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opts[argv[i].replace(/^--/, "")] = argv[i + 1];
for (const required of ["dockerfile", "context", "bin", "out"]) {
  if (!opts[required]) {
    console.error("usage: node check-dockerfile.mjs --dockerfile FILE --context DIR --bin JWT_SIDECAR --out FILE.json");
    process.exit(2);
  }
}

let failures = 0;
const where = path.relative(process.cwd(), opts.dockerfile) || opts.dockerfile;
function problem(message) {
  failures++;
  console.log(`FAIL ${where}: ${message}`);
}
const ok = (message) => console.log(`ok   ${where}: ${message}`);

function run(cmd, args) {
  try {
    const stdout = execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { status: 0, stdout, out: stdout };
  } catch (e) {
    return { status: e.status ?? 1, stdout: e.stdout ?? "", out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

// ---- parsing ------------------------------------------------------------------------------

// Instructions with line continuations joined and comment lines dropped (Dockerfile rules for
// the default escape character).
function parseDockerfile(text) {
  const instructions = [];
  let current = null;
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/\r$/, "");
    if (/^\s*#/.test(line)) return;
    if (current === null) {
      if (!line.trim()) return;
      current = { line: index + 1, text: "" };
    }
    const continued = /\\\s*$/.test(line);
    current.text += `${continued ? line.replace(/\\\s*$/, "") : line} `;
    if (!continued) {
      const m = current.text.trim().match(/^(\S+)\s*([\s\S]*)$/);
      instructions.push({ line: current.line, op: m[1].toUpperCase(), args: m[2].trim() });
      current = null;
    }
  });
  if (current) problem("the last instruction ends with a line continuation");
  return instructions;
}

function stagesOf(instructions) {
  const stages = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const as = words.findIndex((w) => w.toLowerCase() === "as");
      stages.push({ image: words[0], name: as >= 0 ? words[as + 1] : null, line: ins.line, instructions: [] });
    } else if (stages.length) {
      stages[stages.length - 1].instructions.push(ins);
    } else if (ins.op !== "ARG") {
      problem(`line ${ins.line}: ${ins.op} before the first FROM`);
    }
  }
  return stages;
}

function execForm(ins) {
  if (!ins.args.startsWith("[")) return null;
  try {
    const value = JSON.parse(ins.args);
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : null;
  } catch {
    return null;
  }
}

// Package names given to `apt-get install` / `apt install` in a stage's RUN instructions.
function aptPackages(stage) {
  const packages = [];
  for (const ins of stage.instructions.filter((i) => i.op === "RUN")) {
    for (const command of ins.args.split(/&&|\|\||;|\|/)) {
      const words = command.trim().split(/\s+/);
      const apt = words.findIndex((w) => w === "apt-get" || w === "apt");
      if (apt < 0 || !words.slice(apt + 1).includes("install")) continue;
      const after = words.slice(words.indexOf("install", apt) + 1);
      packages.push(...after.filter((w) => w && !w.startsWith("-")).map((w) => w.replace(/[=:].*$/, "")));
    }
  }
  return packages;
}

// ---- dpkg ---------------------------------------------------------------------------------

// The Debian packages that own files: Map file -> package (or null), trying each path as given
// and in its /usr-merged forms. One dpkg call for all of them (dpkg is slow to start).
function ownersOf(files) {
  const candidates = new Map();
  for (const file of files) {
    const set = new Set([file]);
    try { set.add(realpathSync(file)); } catch { /* not there */ }
    for (const c of [...set]) set.add(c.startsWith("/usr/") ? c.slice(4) : `/usr${c}`);
    candidates.set(file, [...set]);
  }
  const owned = new Map();
  const all = [...new Set([...candidates.values()].flat())];
  if (all.length) {
    for (const line of run("dpkg", ["-S", ...all]).stdout.split("\n")) {
      if (!line || line.startsWith("diversion")) continue;
      const sep = line.lastIndexOf(": ");
      const owner = line.slice(0, sep).split(",")[0].trim().replace(/:.*$/, "");
      owned.set(line.slice(sep + 2), owner);
    }
  }
  const result = new Map();
  for (const [file, list] of candidates) result.set(file, list.map((c) => owned.get(c)).find(Boolean) ?? null);
  return result;
}

// Installed packages among `names`: Map name -> {essential}.
function installedPackages(names) {
  const found = new Map();
  if (names.length === 0) return found;
  const r = run("dpkg-query", ["-W", "-f=${Package}\t${db:Status-Abbrev}\t${Essential}\n", ...names]);
  for (const line of r.stdout.split("\n")) {
    const [name, status, ess] = line.split("\t");
    if (name && /^ii/.test(status ?? "")) found.set(name, { essential: ess === "yes" });
  }
  return found;
}

// ---- the checks ---------------------------------------------------------------------------

const context = path.resolve(opts.context);
const text = readFileSync(opts.dockerfile, "utf8");
const stages = stagesOf(parseDockerfile(text));
const result = {};

if (stages.length < 2) {
  problem(`${stages.length} stage(s); expected a build stage and a runtime stage`);
  process.exit(1);
}
const build = stages[0];
const runtime = stages[stages.length - 1];
const named = (s) => `stage ${s.name ?? s.image} (line ${s.line})`;
if (!/^debian:bookworm(-[\w.-]+)?(@sha256:[0-9a-f]{64})?$/.test(build.image)) problem(`${named(build)} is not based on debian:bookworm`);
if (!/^debian:bookworm-slim(@sha256:[0-9a-f]{64})?$/.test(runtime.image)) problem(`${named(runtime)} is not based on debian:bookworm-slim`);

const runtimePackages = aptPackages(runtime);
const buildPackages = aptPackages(build);
ok(`runtime packages: ${runtimePackages.join(" ")}`);
const installedRuntime = installedPackages(runtimePackages);
for (const p of runtimePackages) {
  if (/-dev$|^build-essential$|^cmake$|^g\+\+/.test(p)) problem(`the runtime stage installs the build package ${p}`);
  if (!installedRuntime.has(p)) problem(`the runtime package ${p} is not a package installed on this Debian host (misspelt, or another release's name?)`);
}
if (!runtimePackages.includes("ca-certificates")) problem("the runtime stage does not install ca-certificates (jwks_uri and discovery over HTTPS need the CA bundle)");

// ldd: every library from libc6 (in every Debian image) or from a runtime package.
const ldd = run("ldd", [opts.bin]);
if (ldd.status !== 0) problem(`ldd ${opts.bin} failed: ${ldd.out.trim()}`);
const libraries = [];
for (const line of ldd.out.split("\n")) {
  const trimmed = line.trim();
  if (!trimmed) continue;
  if (/not found/.test(trimmed)) { problem(`ldd: ${trimmed}`); continue; }
  const arrow = trimmed.match(/^(\S+) => (\/\S+)/);
  const direct = trimmed.match(/^(\/\S+)/);
  if (arrow) libraries.push({ soname: arrow[1], file: arrow[2] });
  else if (direct) libraries.push({ soname: path.basename(direct[1]), file: direct[1] });
  // else: the vDSO, provided by the kernel
}
if (libraries.length === 0) problem("ldd listed no libraries: is the binary dynamically linked at all?");
const devPackagesNeeded = new Map();
const libraryOwners = ownersOf(libraries.map((l) => l.file));
const devLinks = new Map();
for (const lib of libraries) {
  if (/^lib(asan|ubsan|tsan|lsan|hwasan)\.so/.test(lib.soname)) {
    // The binary under test comes from a sanitizer preset (ctest --preset asan); the image is
    // built from the release preset, which links no sanitizer runtime.
    ok(`${lib.soname}: sanitizer runtime of this build, not part of a release build`);
    continue;
  }
  const owner = libraryOwners.get(lib.file);
  if (!owner) { problem(`${lib.soname} (${lib.file}) belongs to no Debian package`); continue; }
  if (owner === "libc6") { ok(`${lib.soname}: libc6, in the base image`); continue; }
  if (runtimePackages.includes(owner)) ok(`${lib.soname}: ${owner}, installed by the runtime stage`);
  else problem(`the binary links ${lib.soname} (${lib.file}, package ${owner}), which the runtime stage does not install`);
  // Its development link (libfoo.so next to libfoo.so.N) names the -dev package of the build.
  const devLink = path.join(path.dirname(realpathSync(lib.file)), lib.soname.replace(/\.so\..*$/, ".so"));
  if (!["libgcc-s1", "libstdc++6"].includes(owner) && existsSync(devLink)) devLinks.set(devLink, lib.soname);
}
for (const [link, dev] of ownersOf([...devLinks.keys()])) {
  if (dev) devPackagesNeeded.set(dev, devLinks.get(link));
}

// Build stage.
ok(`build packages: ${buildPackages.join(" ")}`);
const installDeps = path.join(context, "deploy", "install-deps.sh");
const listed = (readFileSync(installDeps, "utf8").match(/packages=\(([\s\S]*?)\n\)/)?.[1] ?? "")
  .split("\n").map((l) => l.replace(/#.*$/, "")).join(" ").split(/\s+/).filter(Boolean);
if (listed.length === 0) problem(`cannot read the package list of ${installDeps}`);
for (const p of buildPackages) {
  if (!listed.includes(p)) problem(`the build stage installs ${p}, which deploy/install-deps.sh does not: keep the two in step`);
}
for (const [dev, soname] of devPackagesNeeded) {
  if (!buildPackages.includes(dev)) problem(`the build stage does not install ${dev} (headers of ${soname})`);
  else ok(`${soname}: ${dev} in the build stage`);
}
const cmakeLists = readFileSync(path.join(context, "CMakeLists.txt"), "utf8");
const boost = cmakeLists.match(/find_package\(Boost (\d+)\.(\d+)/);
if (boost && !buildPackages.includes(`libboost${boost[1]}.${boost[2]}-dev`)) {
  problem(`the build stage does not install libboost${boost[1]}.${boost[2]}-dev (CMakeLists.txt needs Boost ${boost[1]}.${boost[2]})`);
}
for (const tool of ["cmake", "ninja-build"]) {
  if (!buildPackages.includes(tool)) problem(`the build stage does not install ${tool}`);
}
if (!buildPackages.some((p) => p === "build-essential" || p.startsWith("g++"))) problem("the build stage installs no C++ compiler");
const buildRuns = build.instructions.filter((i) => i.op === "RUN").map((i) => i.args).join(" && ");
const configure = buildRuns.split(/&&|;/).map((s) => s.trim()).find((s) => /^cmake\s+--preset\s+release\b/.test(s));
if (!configure) problem("the build stage does not run `cmake --preset release`");
else result.cmakeDefines = configure.split(/\s+/).filter((w) => w.startsWith("-D"));
if (!/cmake\s+--build\s+--preset\s+release\s+--target\s+jwt-sidecar\b/.test(buildRuns)) {
  problem("the build stage does not build the jwt-sidecar target with `cmake --build --preset release --target jwt-sidecar`");
}

// Runtime stage.
const last = (op) => runtime.instructions.filter((i) => i.op === op).pop();
const user = last("USER");
if (!user) problem("the runtime stage has no USER: the container would run as root");
else {
  const m = user.args.match(/^(\d+)(?::(\d+))?$/);
  if (!m) problem(`USER ${user.args} is not numeric (Kubernetes' runAsNonRoot cannot verify a user name)`);
  else if (Number(m[1]) === 0) problem("USER is root (0)");
  else {
    const created = runtime.instructions.some((i) => i.op === "RUN" && new RegExp(`(--uid|-u)\\s+${m[1]}\\b`).test(i.args));
    if (!created) problem(`no RUN of the runtime stage creates the user ${m[1]} (useradd --uid ${m[1]})`);
    else ok(`USER ${user.args}`);
  }
}

const entrypoint = last("ENTRYPOINT");
const entry = entrypoint && execForm(entrypoint);
if (!entry) problem("no ENTRYPOINT in exec form (JSON array)");
else if (entry.length !== 1 || entry[0] !== "/usr/local/bin/jwt-sidecar") problem(`ENTRYPOINT is ${entrypoint.args}, expected ["/usr/local/bin/jwt-sidecar"]`);
const copies = runtime.instructions.filter((i) => i.op === "COPY" || i.op === "ADD");
const binaryCopy = copies.find((i) => /^--from=\S+/.test(i.args) && /\s\/usr\/local\/bin\/jwt-sidecar$/.test(i.args));
if (!binaryCopy) problem("no COPY --from=<build stage> ... /usr/local/bin/jwt-sidecar in the runtime stage");

const cmd = last("CMD");
const cmdArgs = cmd && execForm(cmd);
let listenPort = null;
let adminPort = null;
if (!cmdArgs || cmdArgs[0] !== "--config" || cmdArgs.length !== 2) {
  problem(`CMD is ${cmd?.args}, expected ["--config", "/etc/jwt-sidecar/config.yaml"] in exec form`);
} else {
  const configPath = cmdArgs[1];
  const copy = copies.find((i) => !i.args.startsWith("--from") && i.args.split(/\s+/).pop() === configPath);
  if (!copy) problem(`CMD reads ${configPath}, but no COPY of the runtime stage puts a file there`);
  else {
    const source = path.join(context, copy.args.split(/\s+/)[0]);
    const check = run(opts.bin, ["check-config", source]);
    if (check.status !== 0) problem(`the default config ${source} fails check-config:\n${check.out}`);
    else ok(`default config: ${check.out.trim()}`);
    const text2 = existsSync(source) ? readFileSync(source, "utf8") : "";
    listenPort = Number(text2.match(/^listen:\s*\S*:(\d+)\s*(#.*)?$/m)?.[1]) || null;
    adminPort = Number(text2.match(/^admin:\s*\S*:(\d+)\s*(#.*)?$/m)?.[1]) || null;
    if (!listenPort || !adminPort) problem(`cannot find listen and admin ports in ${source}`);
  }
}
result.listenPort = listenPort;
result.adminPort = adminPort;

const exposed = runtime.instructions.filter((i) => i.op === "EXPOSE")
  .flatMap((i) => i.args.split(/\s+/)).map((p) => Number(p.replace(/\/tcp$/, "")));
for (const [what, port] of [["listen", listenPort], ["admin", adminPort]]) {
  if (port && !exposed.includes(port)) problem(`EXPOSE does not include the default config's ${what} port ${port}`);
}
if (listenPort && adminPort && exposed.includes(listenPort) && exposed.includes(adminPort)) ok(`EXPOSE ${exposed.join(" ")}`);

const health = last("HEALTHCHECK");
if (!health) problem("the runtime stage has no HEALTHCHECK");
else {
  const m = health.args.match(/^((?:--\S+\s+)*)CMD\s+(\[[\s\S]*\])$/);
  const command = m && execForm({ args: m[2] });
  if (!command) problem(`HEALTHCHECK is not "HEALTHCHECK [OPTIONS] CMD [exec form]": ${health.args}`);
  else {
    result.healthcheck = command;
    // The program must exist in the image: from a runtime package, or Essential in Debian
    // (Essential packages are in every Debian image, the slim ones too).
    const program = command[0];
    const programPath = program.startsWith("/") ? program : run("bash", ["-c", `command -v ${program}`]).out.trim();
    const owner = programPath ? ownersOf([programPath]).get(programPath) : null;
    const isEssential = owner ? installedPackages([owner]).get(owner)?.essential === true : false;
    if (!owner) problem(`the HEALTHCHECK program ${program} is not a file of any installed Debian package here`);
    else if (!runtimePackages.includes(owner) && !isEssential) {
      problem(`the HEALTHCHECK program ${program} comes from ${owner}, which is neither Essential nor installed by the runtime stage`);
    } else ok(`HEALTHCHECK runs ${program} (package ${owner}, ${isEssential ? "Essential" : "installed by the runtime stage"})`);
    if (adminPort && !command.join(" ").includes(String(adminPort))) problem(`the HEALTHCHECK does not ask the admin port ${adminPort}`);
  }
}
const stop = last("STOPSIGNAL");
if (stop && !/^(SIGTERM|15)$/.test(stop.args)) problem(`STOPSIGNAL ${stop.args}: jwt-sidecar drains on SIGTERM`);

// .dockerignore at the root of the build context.
const ignoreFile = path.join(context, ".dockerignore");
if (!existsSync(ignoreFile)) problem(`no ${ignoreFile}: build/ and node_modules would be sent as build context`);
else {
  const patterns = readFileSync(ignoreFile, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  for (const want of [/^\/?build\/?$/, /^(\*\*\/)?node_modules\/?$/]) {
    if (!patterns.some((p) => want.test(p))) problem(`.dockerignore has no pattern like ${want.source}`);
  }
}

writeFileSync(opts.out, JSON.stringify(result, null, 2));
if (failures) {
  console.log(`check-dockerfile: ${failures} problem(s)`);
  process.exit(1);
}
console.log("check-dockerfile: all checks passed");
