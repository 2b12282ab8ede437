// Offline checks of rendered Kubernetes manifests (`kubectl kustomize DIR | node check.mjs -`).
//
//   node check.mjs [--zpipe BIN] FILE|-
//
// 1. Every object validates against the Kubernetes schemas of the npm package
//    kubernetes-models (by apiVersion and kind). Those schemas, as Kubernetes' own OpenAPI,
//    do not forbid unknown fields, so a misspelt field (`replica:`, `argz:`) would pass; the
//    check therefore also watches which fields the schema's validator reads (a Proxy) and
//    names every field it never looked at.
// 2. With --zpipe, each container running the zpipe image has its args checked against the
//    real binary: every option must be one `zpipe ROLE --help` lists, options that take a
//    value must have one, no stray words; then `zpipe ROLE ARGS --help` must exit 0 (CLI11
//    checks the values, e.g. --slots 0 or a -c file that is not there, before it prints
//    help). Files the args name inside a mounted ConfigMap are written to a temporary
//    folder, and a pipeline file (-c) must pass `zpipe check`; a worker pod's
//    terminationGracePeriodSeconds must be longer than the file's workers.grace.
// Exit status 1 with one line per problem naming the object; 2 for a usage error.
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";

const problems = [];
const problem = (where, text) => problems.push(`${where}: ${text}`);

function usage(text) {
  console.error(`check.mjs: ${text}\nusage: node check.mjs [--zpipe BIN] FILE|-`);
  process.exit(2);
}

let zpipe = null;
let input = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; ++i) {
  if (argv[i] === "--zpipe") {
    if (i + 1 >= argv.length) usage("--zpipe needs a path");
    zpipe = argv[++i];
  } else if (input === null) {
    input = argv[i];
  } else {
    usage(`unexpected argument '${argv[i]}'`);
  }
}
if (input === null) usage("no manifest file");

const text = readFileSync(input === "-" ? 0 : input, "utf8");
const objects = [];
for (const doc of parseAllDocuments(text)) {
  if (doc.errors.length > 0) {
    problem(input, `YAML: ${doc.errors[0].message}`);
    continue;
  }
  const value = doc.toJS();
  if (value !== null && value !== undefined) objects.push(value);
}
if (objects.length === 0) problem(input, "no objects");

const nameOf = (o) => `${o?.kind ?? "?"}/${o?.metadata?.name ?? "?"}`;

// --- 1. schemas -------------------------------------------------------------------------

// kubernetes-models lays its classes out as GROUP/VERSION/KIND ("v1/ConfigMap" for the core group).
async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind] ?? null;
  } catch {
    return null;
  }
}

// Wraps every object and array so that we learn which keys the validator read. A validator
// that enumerates an object's keys (a map such as labels or ConfigMap data) accepts them all.
function watched(value, seen) {
  if (value === null || typeof value !== "object") return value;
  const record = { read: new Set(), open: false, touched: false };
  seen.set(value, record);
  return new Proxy(value, {
    get(target, key, receiver) {
      record.touched = true;
      if (typeof key === "string") record.read.add(key);
      const v = Reflect.get(target, key, receiver);
      return typeof key === "string" && v !== null && typeof v === "object" ? child(v) : v;
    },
    has(target, key) {
      record.touched = true;
      if (typeof key === "string") record.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      record.touched = true;
      record.open = true;
      return Reflect.ownKeys(target);
    },
  });
  function child(v) {
    if (!proxies.has(v)) proxies.set(v, watched(v, seen));
    return proxies.get(v);
  }
}
const proxies = new WeakMap();

function unknownFields(value, seen, where, out) {
  if (value === null || typeof value !== "object") return;
  const record = seen.get(value);
  if (!record || !record.touched) return;  // never reached: its parent's key is the problem
  for (const key of Object.keys(value)) {
    if (!Array.isArray(value) && !record.open && !record.read.has(key)) out.push(`${where}/${key}`);
    unknownFields(value[key], seen, `${where}/${key}`, out);
  }
}

for (const o of objects) {
  const Model = await modelFor(o?.apiVersion, o?.kind);
  if (!Model) {
    problem(nameOf(o), `no schema for apiVersion '${o?.apiVersion}' kind '${o?.kind}' in kubernetes-models`);
    continue;
  }
  const seen = new Map();
  const proxy = watched(o, seen);
  try {
    Model.prototype.validate.call(proxy);
  } catch (e) {
    problem(nameOf(o), e.message);
    continue;
  }
  const unknown = [];
  unknownFields(o, seen, "", unknown);
  for (const field of unknown) problem(nameOf(o), `unknown field ${field}`);
}

// --- 2. container args against the real binary -------------------------------------------

function podSpecOf(o) {
  if (o?.kind === "Pod") return o.spec;
  if (o?.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template?.spec;
  return o?.spec?.template?.spec;
}

// Options of `zpipe ROLE --help`: name -> takes a value. CLI11 prints one per line:
// "  -c,--config TEXT:FILE REQUIRED", "  --keep-alive", "  --fresh Excludes: --repair".
const helpCache = new Map();
function optionsOf(role) {
  if (helpCache.has(role)) return helpCache.get(role);
  const r = spawnSync(zpipe, [role, "--help"], { encoding: "utf8" });
  let options = null;
  if (r.status === 0) {
    options = new Map();
    for (const line of r.stdout.split("\n")) {
      const m = /^ {2}(-\S+)(?: (\S+))?/.exec(line);
      if (!m) continue;
      const takesValue = m[2] !== undefined && /^[A-Z][A-Z0-9_]*(?::\S*)?$/.test(m[2]) && m[2] !== "REQUIRED";
      for (const name of m[1].split(",")) options.set(name, takesValue);
    }
  }
  helpCache.set(role, options);
  return options;
}

function run(args) {
  const r = spawnSync(zpipe, args, { encoding: "utf8", timeout: 10000 });
  const said = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n")[0];
  return { ok: r.status === 0, said: r.error ? r.error.message : said, status: r.status };
}

function checkContainer(where, container, pod, configMaps, scratch) {
  const args = [...(container.command ?? []).slice(1), ...(container.args ?? [])];
  if (container.command && !/zpipe$/.test(container.command[0])) return;  // not zpipe's entrypoint
  const role = args[0];
  const options = role && !role.startsWith("-") ? optionsOf(role) : null;
  if (!options) {
    problem(where, `'${role ?? ""}' is not a zpipe subcommand (zpipe ${role ?? ""} --help fails)`);
    return;
  }
  for (let i = 1; i < args.length; ++i) {
    const word = args[i];
    if (!word.startsWith("-")) {
      problem(where, `stray argument '${word}' (zpipe ${role} takes no positional arguments)`);
      continue;
    }
    const [name, inline] = word.startsWith("--") ? word.split(/=(.*)/s, 2) : [word, undefined];
    if (!options.has(name)) {
      problem(where, `zpipe ${role} has no option '${name}' (see zpipe ${role} --help)`);
      if (inline === undefined && i + 1 < args.length && !args[i + 1].startsWith("-")) ++i;  // its value, probably
      continue;
    }
    if (options.get(name) && inline === undefined) {
      if (i + 1 >= args.length) problem(where, `option '${name}' needs a value`);
      ++i;
    }
  }

  // Files of mounted ConfigMaps, under the scratch folder, so that -c names a real file.
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  const mapped = [];
  for (const mount of container.volumeMounts ?? []) {
    const cm = volumes.get(mount.name)?.configMap;
    if (!cm) continue;
    const data = configMaps.get(cm.name);
    if (!data) {
      problem(where, `mounts ConfigMap '${cm.name}', which the manifests do not define`);
      continue;
    }
    const dir = path.join(scratch, mount.mountPath);
    mkdirSync(dir, { recursive: true });
    for (const [key, value] of Object.entries(data)) writeFileSync(path.join(dir, key), value);
    mapped.push([mount.mountPath.replace(/\/$/, ""), dir]);
  }
  const local = (arg) => {
    for (const [from, to] of mapped) if (arg === from || arg.startsWith(`${from}/`)) return to + arg.slice(from.length);
    return arg;
  };
  const localArgs = args.map(local);
  const r = run([...localArgs, "--help"]);
  if (!r.ok) problem(where, `zpipe refuses its args (${args.join(" ")}): ${r.said}`);
  const c = localArgs.findIndex((a) => a === "-c" || a === "--config");
  if (c > 0 && c + 1 < localArgs.length) {
    const checked = run(["check", localArgs[c + 1]]);
    if (!checked.ok) problem(where, `zpipe check ${args[c + 1]}: ${checked.said}`);
    if (checked.ok && role === "worker") checkGrace(where, pod, localArgs[c + 1]);
  }
}

// A worker drains within workers.grace after SIGTERM; the kubelet must wait longer before
// its SIGKILL, or running tasks die mid-way and run again.
function seconds(duration) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(duration).trim());
  if (!m) return null;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"];
}
function checkGrace(where, pod, pipelineFile) {
  let pipeline;
  try {
    pipeline = parseAllDocuments(readFileSync(pipelineFile, "utf8"))[0].toJS();
  } catch {
    return;  // zpipe check has judged the file
  }
  const grace = seconds(pipeline?.workers?.grace ?? "30s");
  const termination = pod.terminationGracePeriodSeconds ?? 30;
  if (grace !== null && !(termination > grace))
    problem(where, `terminationGracePeriodSeconds ${termination} is not longer than workers.grace ` +
                   `(${pipeline?.workers?.grace ?? "30s, the default"}): the kubelet would kill a draining worker`);
}

if (zpipe) {
  const configMaps = new Map(objects.filter((o) => o?.kind === "ConfigMap").map((o) => [o.metadata?.name, o.data ?? {}]));
  const scratch = mkdtempSync(path.join(tmpdir(), "zpipe-k8s-check-"));
  let containers = 0;
  try {
    for (const o of objects) {
      const pod = podSpecOf(o);
      if (!pod) continue;
      for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
        if (!/zpipe/.test(container.image ?? "")) continue;
        ++containers;
        checkContainer(`${nameOf(o)} container ${container.name}`, container, pod, configMaps, scratch);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (containers === 0) problem(input, "no container runs a zpipe image");
}

for (const p of problems) console.error(p);
process.exit(problems.length > 0 ? 1 : 0);
