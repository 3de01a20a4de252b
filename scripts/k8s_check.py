"""The checks of scripts/k8s-check that need a program (run by it, in its virtual environment).

Reads the rendered base (`kubectl kustomize deploy/kubernetes`), the example Secrets and the
Dockerfile; prints what it checked and every failure; exits 1 on any failure.
"""

import argparse
import base64
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from kubernetes_validate import utils as kv

failures: list[str] = []


def fail(message: str) -> None:
    failures.append(message)
    print(f"FAIL  {message}")


def ok(message: str) -> None:
    print(f"ok    {message}")


def name(resource: dict) -> str:
    return f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"


# --- schemas -------------------------------------------------------------------------------------


def validate_schemas(resources: list[dict], versions: list[str]) -> None:
    for version in versions:
        bad = 0
        for r in resources:
            try:
                kv.validate(r, version, strict=True)
            except kv.ValidationError as e:
                where = ".".join(str(p) for p in e.path) or "(top)"
                fail(f"{name(r)} against Kubernetes {version}: {where}: {e.message}")
                bad += 1
            except (kv.SchemaNotFoundError, kv.VersionNotSupportedError) as e:
                fail(f"{name(r)} against Kubernetes {version}: {e}")
                bad += 1
        if not bad:
            ok(
                f"{len(resources)} resources valid against the Kubernetes {version} schemas (strict)"
            )


# --- references between resources ---------------------------------------------------------------


def subset(small: dict, big: dict) -> bool:
    return bool(small) and all(big.get(k) == v for k, v in small.items())


def check_references(rendered: list[dict], secrets: list[dict]) -> dict:
    deployments = [r for r in rendered if r["kind"] == "Deployment"]
    if len(deployments) != 1:
        fail(f"expected one Deployment, found {len(deployments)}")
        sys.exit(1)
    dep = deployments[0]
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    containers = pod["containers"]
    if len(containers) != 1:
        fail(f"{name(dep)}: expected one container, found {len(containers)}")
    c = containers[0]
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}

    if not subset(spec["selector"].get("matchLabels", {}), labels):
        fail(f"{name(dep)}: the selector does not match the pod template's labels")

    def port_of(ref, what):
        if isinstance(ref, int):
            if ref not in ports.values():
                fail(f"{what}: port {ref} is not a container port")
            return ref
        if ref not in ports:
            fail(f"{what}: no container port is named `{ref}`")
        return ports.get(ref)

    # The fewest replicas: the autoscaler's minimum, else the Deployment's count.
    hpas = [r for r in rendered if r["kind"] == "HorizontalPodAutoscaler"]
    least = hpas[0]["spec"].get("minReplicas", 1) if hpas else spec.get("replicas", 1)
    if least < 3:
        fail(f"{name(dep)} may run {least} replicas, fewer than three")
    for r in rendered:
        kind = r["kind"]
        if kind == "Service":
            if not subset(r["spec"].get("selector", {}), labels):
                fail(f"{name(r)}: its selector does not select the Deployment's pods")
            for p in r["spec"]["ports"]:
                port_of(p.get("targetPort", p["port"]), f"{name(r)} port {p['port']}")
        elif kind == "PodDisruptionBudget":
            if not subset(r["spec"]["selector"].get("matchLabels", {}), labels):
                fail(f"{name(r)}: its selector does not select the Deployment's pods")
            if "maxUnavailable" not in r["spec"] and r["spec"].get("minAvailable", 0) >= least:
                fail(f"{name(r)}: minAvailable leaves no pod to evict")
        elif kind == "HorizontalPodAutoscaler":
            t = r["spec"]["scaleTargetRef"]
            if (t["kind"], t["name"]) != ("Deployment", dep["metadata"]["name"]):
                fail(f"{name(r)}: scales {t['kind']}/{t['name']}, not {name(dep)}")
            lo, hi = r["spec"].get("minReplicas", 1), r["spec"]["maxReplicas"]
            if not lo <= spec.get("replicas", lo) <= hi:
                fail(f"{name(r)}: {spec['replicas']} replicas outside {lo}..{hi}")
            if "replicas" in spec:
                fail(f"{name(dep)} sets replicas, which {name(r)} owns: every apply resets them")
            cpu = [
                m
                for m in r["spec"].get("metrics", [])
                if m.get("resource", {}).get("name") == "cpu"
            ]
            if cpu and "cpu" not in c.get("resources", {}).get("requests", {}):
                fail(f"{name(r)}: scales on CPU utilisation but the container requests no CPU")

    # Secrets and ConfigMaps the pod needs: the ConfigMaps rendered, the Secrets in the example.
    configmaps = {r["metadata"]["name"]: r for r in rendered if r["kind"] == "ConfigMap"}
    secret_keys = {
        s["metadata"]["name"]: set(s.get("data", {})) | set(s.get("stringData", {}))
        for s in secrets
    }
    for s in secrets:
        for k, v in {**s.get("data", {}), **s.get("stringData", {})}.items():
            if "CHANGE-ME" not in str(v):
                fail(f"secret.example.yaml: {name(s)} key `{k}` is not marked as a placeholder")
    for v in pod.get("volumes", []):
        if "configMap" in v:
            cm = v["configMap"]
            if cm["name"] not in configmaps:
                fail(f"volume `{v['name']}`: ConfigMap {cm['name']} is not in the base")
            else:
                data = configmaps[cm["name"]].get("data", {})
                for item in cm.get("items", []):
                    if item["key"] not in data:
                        fail(
                            f"volume `{v['name']}`: key `{item['key']}` is not in ConfigMap {cm['name']}"
                        )
        if "secret" in v:
            sn = v["secret"]["secretName"]
            if sn not in secret_keys:
                fail(f"volume `{v['name']}`: Secret {sn} is not in secret.example.yaml")
            for item in v["secret"].get("items", []):
                if item["key"] not in secret_keys.get(sn, set()):
                    fail(f"volume `{v['name']}`: key `{item['key']}` is not in Secret {sn}")
    env = {e["name"]: e for e in c.get("env", [])}
    for e in env.values():
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref and ref["key"] not in secret_keys.get(ref["name"], set()):
            fail(
                f"env {e['name']}: Secret {ref['name']} key `{ref['key']}` is not in secret.example.yaml"
            )
    for ref in re.findall(r"\$\((\w+)\)", " ".join(c.get("args", []))):
        if ref not in env:
            fail(f"the container's args use $({ref}), which its env does not define")

    # Probes and the address the service listens on.
    args = c.get("args", [])
    addr = args[args.index("--addr") + 1] if "--addr" in args else ""
    http = ports.get("http")
    if not addr.endswith(f":{http}"):
        fail(f"the container listens on `{addr}`, not on its port `http` ({http})")
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = c.get(probe, {}).get("httpGet")
        if not get or get.get("path") != path:
            fail(f"{probe}: expected HTTP GET {path}")
        else:
            port_of(get["port"], probe)

    # Resources: requests and limits, requests within limits.
    res = c.get("resources", {})
    for what in ("cpu", "memory"):
        for kind in ("requests", "limits"):
            if what not in res.get(kind, {}):
                fail(f"the container sets no {what} {kind[:-1]}")

    # The security context asked for: non-root, read-only root, no privilege, no capabilities.
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    if not (psc.get("runAsNonRoot") or csc.get("runAsNonRoot")):
        fail("runAsNonRoot is not set")
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    if not uid:
        fail("runAsUser is not set to a non-zero uid")
    wanted = {
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
    }
    for k, v in wanted.items():
        if csc.get(k) != v:
            fail(f"the container's securityContext.{k} is not {v}")
    if "ALL" not in csc.get("capabilities", {}).get("drop", []):
        fail("the container does not drop ALL capabilities")
    seccomp = csc.get("seccompProfile", psc.get("seccompProfile", {}))
    if seccomp.get("type") != "RuntimeDefault":
        fail("the seccomp profile is not RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        fail("the pod mounts a service account token it does not need")

    return {"deployment": dep, "container": c, "configmaps": configmaps, "uid": uid, "port": http}


# --- the bundle as a pod sees it -----------------------------------------------------------------


def ignored(part: str) -> bool:
    """The engine's ignore rule (crates/arbiter-engine/src/files.rs, `is_ignored_name`)."""
    return (
        part.startswith(".")
        or part.endswith("~")
        or part.startswith("#")
        or part.endswith((".swp", ".swx", ".tmp", ".bak", ".orig"))
    )


def read_tree(root: Path) -> dict[str, bytes]:
    files = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not ignored(d))
        for f in sorted(filenames):
            if not ignored(f):
                p = Path(dirpath) / f
                files[p.relative_to(root).as_posix()] = p.read_bytes()
    return files


def mount(cm: dict, items: list[dict] | None, at: Path) -> None:
    """Writes a ConfigMap volume as the kubelet does: the files in a timestamped folder, `..data`
    linking to it, and each top-level name linking through `..data`."""
    data = {k: v.encode() for k, v in cm.get("data", {}).items()}
    for k, v in cm.get("binaryData", {}).items():
        data[k] = base64.b64decode(v)
    if items is None:
        items = [{"key": k, "path": k} for k in data]
    stamp = at / "..2026_01_01_00_00_00.000000001"
    tops = set()
    for item in items:
        if item["key"] not in data:
            continue
        p = stamp / item["path"]
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data[item["key"]])
        tops.add(item["path"].split("/")[0])
    (at / "..data").symlink_to(stamp.name)
    for t in sorted(tops):
        (at / t).symlink_to(f"..data/{t}")


def check_bundle(refs: dict, policies: Path, arbiter: str, work: Path) -> None:
    c = refs["container"]
    pod = refs["deployment"]["spec"]["template"]["spec"]
    args = c.get("args", [])
    bundle_path = args[args.index("--bundle") + 1] if "--bundle" in args else None
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    if bundle_path not in mounts:
        fail(f"--bundle {bundle_path} is not a volume mount of the container")
        return
    volume = next(v for v in pod["volumes"] if v["name"] == mounts[bundle_path])
    cm_ref = volume.get("configMap")
    if not cm_ref or cm_ref["name"] not in refs["configmaps"]:
        fail(f"the bundle volume `{volume['name']}` is not a ConfigMap of the base")
        return
    cm = refs["configmaps"][cm_ref["name"]]
    size = len(json.dumps(cm, separators=(",", ":")))
    if size > 1 << 20:
        fail(f"ConfigMap {cm_ref['name']} is {size} bytes, past the API's 1 MiB limit")
    else:
        note = (
            "fits in client-side `kubectl apply`'s 256 KiB annotation"
            if size <= 256 << 10
            else "too large for client-side `kubectl apply` (use --server-side)"
        )
        ok(f"ConfigMap {cm_ref['name']}: {size} bytes as JSON (limit 1 MiB; {note})")

    items = cm_ref.get("items")
    used = {i["key"] for i in items} if items is not None else set(cm.get("data", {}))
    for k in sorted(set(cm.get("data", {})) | set(cm.get("binaryData", {}))):
        if k not in used:
            fail(f"ConfigMap key `{k}` is in no item of the bundle volume, so it is not mounted")

    at = work / "bundle-mount"
    at.mkdir()
    mount(cm, items, at)
    seen, want = read_tree(at), read_tree(policies)
    src = f"{policies.as_posix().rstrip('/')}/"
    for p in sorted(set(want) - set(seen)):
        key = p.replace("/", ".")
        fail(
            f"{src}{p} is not in the mounted bundle: copy it to deploy/kubernetes/bundle/{p}, "
            f"add `- {key}=bundle/{p}` to kustomization.yaml's configMapGenerator and "
            f"`- {{key: {key}, path: {p}}}` to the bundle volume's items in deployment.yaml"
        )
    for p in sorted(set(seen) - set(want)):
        fail(f"the mounted bundle has {p}, which {src} does not: remove it from deploy/kubernetes")
    for p in sorted(set(seen) & set(want)):
        if seen[p] != want[p]:
            fail(
                f"the mounted bundle's {p} differs from {src}{p}: cp {src}{p} deploy/kubernetes/bundle/{p}"
            )
    if seen == want:
        ok(
            f"the mounted bundle (ConfigMap keys through the volume's items) equals {src}: {len(seen)} files"
        )
    run = subprocess.run(
        [arbiter, "test", "--bundle", str(at)], check=False, capture_output=True, text=True
    )
    if run.returncode != 0:
        fail(
            f"`arbiter test` on the mounted bundle exited {run.returncode}:\n{run.stdout}{run.stderr}"
        )
    else:
        passed = sum(1 for line in run.stdout.splitlines() if line.startswith("pass "))
        ok(
            f"`arbiter test --bundle` on the mounted bundle (..data links as the kubelet writes "
            f"them): every golden case passes ({passed})"
        )


# --- the binary's flags --------------------------------------------------------------------------


def dockerfile_facts(path: Path) -> dict:
    facts: dict = {"expose": [], "from": []}
    text = re.sub(r"\\\n", " ", path.read_text())
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "EXPOSE":
            facts["expose"] += [int(p.split("/")[0]) for p in rest.split()]
        elif word in ("ENTRYPOINT", "CMD"):
            try:
                facts[word.lower()] = json.loads(rest)
            except json.JSONDecodeError:
                fail(f"Dockerfile {word} is not in exec (JSON) form: {rest}")
        elif word == "USER":
            facts["user"] = rest.strip()
        elif word == "FROM":
            facts["from"].append(rest.split()[0])
    return facts


def help_text(arbiter: str, command: str) -> str | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBITER_")}
    run = subprocess.run(
        [arbiter, command, "--help"], check=False, capture_output=True, text=True, env=env
    )
    return run.stdout if run.returncode == 0 else None


def check_flags(refs: dict, dockerfile: Path, arbiter: str) -> None:
    c = refs["container"]
    facts = dockerfile_facts(dockerfile)
    uses = [("the Deployment's args", c.get("args", []))]
    if "cmd" in facts:
        uses.append(("the Dockerfile's CMD", facts["cmd"]))
    for where, args in uses:
        if not args:
            fail(f"{where}: empty")
            continue
        command = args[0]
        text = help_text(arbiter, command)
        if text is None:
            fail(f"{where}: `arbiter {command}` is not a subcommand of {arbiter}")
            continue
        known = set(re.findall(r"(--[a-z0-9][a-z0-9-]*)", text))
        flags = [a.split("=")[0] for a in args[1:] if a.startswith("--")]
        missing = [f for f in flags if f not in known]
        for f in missing:
            fail(f"{where}: `arbiter {command}` has no flag {f} ({arbiter})")
        if not missing:
            ok(f"{where}: `arbiter {command}` accepts {' '.join(flags)}")
    # Environment variables the binary itself must read (not only expanded into args).
    text = help_text(arbiter, c["args"][0]) or ""
    args = " ".join(c.get("args", []))
    for e in c.get("env", []):
        if f"$({e['name']})" in args:
            continue
        if e["name"] not in text:
            fail(
                f"the container passes {e['name']} in its environment, which "
                f"`arbiter {c['args'][0]} --help` does not name ({arbiter})"
            )
        else:
            ok(f"`arbiter {c['args'][0]} --help` names {e['name']}")

    # The image and the pod agree.
    before = len(failures)
    if str(refs["port"]) not in map(str, facts["expose"]):
        fail(f"the Dockerfile exposes {facts['expose']}, not the container port {refs['port']}")
    user = facts.get("user", "").split(":")[0]
    if user != str(refs["uid"]):
        fail(f"the Dockerfile's USER is `{user}`, the pod runs as {refs['uid']}")
    entry = facts.get("entrypoint", [])
    if not entry or not entry[0].endswith("/arbiter"):
        fail(f"the Dockerfile's ENTRYPOINT is {entry}, not the arbiter binary")
    if len(failures) == before:
        ok(
            f"Dockerfile: {' → '.join(facts['from'])}; ENTRYPOINT {entry}, USER {facts.get('user')}, "
            f"EXPOSE {facts['expose']} agree with the Deployment"
        )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rendered", type=Path, required=True)
    ap.add_argument("--secrets", type=Path, required=True)
    ap.add_argument("--dockerfile", type=Path, required=True)
    ap.add_argument("--policies", type=Path, required=True)
    ap.add_argument("--arbiter", required=True)
    ap.add_argument("--work", type=Path, required=True)
    a = ap.parse_args()

    rendered = [r for r in yaml.safe_load_all(a.rendered.read_text()) if r]
    secrets = [r for r in yaml.safe_load_all(a.secrets.read_text()) if r]
    versions = kv.all_versions()
    checked = [versions[0], versions[-1]]
    kinds = sorted({r["kind"] for r in rendered + secrets})
    print(
        f"validating {len(rendered)} rendered resources and {len(secrets)} example Secrets "
        f"({', '.join(kinds)}) with kubernetes-validate "
        f"{importlib.metadata.version('kubernetes-validate')}, schemas of Kubernetes "
        f"{' and '.join(checked)}"
    )
    validate_schemas(rendered + secrets, checked)
    before = len(failures)
    refs = check_references(rendered, secrets)
    if len(failures) == before:
        ok("selectors, ports, probes, Secret and ConfigMap references, resources, security context")
    check_bundle(refs, a.policies, a.arbiter, a.work)
    check_flags(refs, a.dockerfile, a.arbiter)
    if failures:
        print(f"manifest checks: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
