"""Security scan with checkov (offline): the rendered overlays and the stand-alone manifests (Kubernetes framework)
and the Dockerfile (dockerfile framework), no failed check. Every check that is skipped (k8s/checkov.yaml, or a
`checkov.io/skipN` annotation on one object) carries a reason and is listed in docs/kubernetes.md."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from k8s_support import DOCKERFILE, DOCS, K8S, overlay_names, render_text

CHECKOV_CONFIG = K8S / "checkov.yaml"
EXTRA = [K8S / "backup" / "restore-pod.yaml"]


def checkov_binary() -> str:
    beside = Path(sys.executable).with_name("checkov")
    if beside.exists():
        return str(beside)
    found = shutil.which("checkov")
    if not found:
        pytest.fail("checkov is not installed: pip install -r Tests/interop/requirements.txt")
    return found


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory):
    """One checkov run over every rendered overlay, the stand-alone manifests and the Dockerfile: {framework: report}."""
    tmp = tmp_path_factory.mktemp("checkov")
    for overlay in overlay_names():
        (tmp / f"{overlay}.yaml").write_text(render_text(overlay))
    for path in EXTRA + [DOCKERFILE]:
        shutil.copy(path, tmp / path.name)
    out = subprocess.run([checkov_binary(), "--config-file", str(CHECKOV_CONFIG), "-d", str(tmp), "-o", "json",
                          "--skip-download"], capture_output=True, text=True, timeout=300, cwd=tmp)
    try:
        report = json.loads(out.stdout)
    except ValueError:
        pytest.fail(f"checkov printed no JSON (exit {out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    reports = report if isinstance(report, list) else [report]
    by_framework = {r.get("check_type"): r for r in reports}
    assert set(by_framework) == {"kubernetes", "dockerfile"}, list(by_framework)
    return by_framework


@pytest.mark.parametrize("framework", ["kubernetes", "dockerfile"])
def test_checkov_finds_nothing(checkov_report, framework):
    report = checkov_report[framework]
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})"
              for c in report["results"]["failed_checks"]]
    assert not failed, "checkov findings (fix them, or skip with a reason listed in docs/kubernetes.md):\n" + \
        "\n".join(failed)
    assert summary["parsing_errors"] == 0
    # it did look at everything: every workload of every overlay, every Dockerfile instruction
    minimum = {"kubernetes": 500, "dockerfile": 50}[framework]
    assert summary["passed"] >= minimum, summary


def skip_list() -> dict[str, str]:
    """{check id: reason} from k8s/checkov.yaml (comment above the id) and the checkov.io/skipN annotations."""
    skips = {}
    lines = CHECKOV_CONFIG.read_text().splitlines()
    config = yaml.safe_load(CHECKOV_CONFIG.read_text())
    for check in config.get("skip-check", []):
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        comment = []
        for line in reversed(lines[:index]):
            if not line.strip().startswith("#"):
                break
            comment.insert(0, line.strip().lstrip("#").strip())
        skips[check] = " ".join(comment)
    sources = [render_text(o) for o in overlay_names()] + [p.read_text() for p in EXTRA]
    for text in sources:
        for doc in yaml.safe_load_all(text):
            for key, value in ((doc or {}).get("metadata", {}).get("annotations") or {}).items():
                if key.startswith("checkov.io/skip"):
                    check, _, reason = value.partition("=")
                    skips.setdefault(check, reason)
    return skips


def test_every_skip_has_a_reason_and_is_documented(checkov_report):
    skips = skip_list()
    assert skips, "expected the documented skips"
    docs = DOCS.read_text()
    section = docs.split("## Security scan", 1)[1].split("\n## ", 1)[0]
    for check, reason in skips.items():
        assert len(reason) >= 20, f"{check}: give the reason next to the skip"
        assert re.search(rf"\b{check}\b", section), f"{check} is skipped but not listed in docs/kubernetes.md"
    documented = set(re.findall(r"\bCKV2?_K8S_\d+\b", section))
    assert documented == set(skips), f"docs list {sorted(documented)}, manifests skip {sorted(skips)}"
    skipped = {c["check_id"] for r in checkov_report.values() for c in r["results"]["skipped_checks"]}
    assert skipped <= set(skips)
