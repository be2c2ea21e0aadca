"""The Dockerfile, checked without a Docker engine: what can be compared with the real binaries and the repository is.

- the runtime stage installs exactly the Debian packages that own the shared libraries `ldd` shows for the three
  binaries (libc aside), split into what every product needs and what only the gRPC builds need;
- the Swift runtime libraries the dynamic test builds link are all available as static archives in the toolchain,
  and the image build links them statically (--static-swift-stdlib);
- the build stage installs the -dev packages Package.swift's system-library targets name, with the toolchain version
  the project is tested with;
- EXPOSE = the binaries' default ports = the contract's; ENTRYPOINT exec form on the installed binary; numeric
  non-root USER equal to the manifests' runAsUser; VOLUME /data and LOGPILOT_SQLITE_PATH on it;
- the HEALTHCHECK command, run as is against a live server (and against a closed port);
- .dockerignore keeps what the build COPYs and drops builds, databases and virtualenvs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import BIN, REPO, free_port
from k8s_support import (BINARY_ENV, CONTRACT_PORTS, K8S, dockerignore_patterns, dockerignored, exec_form,
                         help_default, help_variables, read_dockerfile)

DF = read_dockerfile()
BUILD, RUNTIME = 0, 1


def stage_runs(stage: int) -> str:
    return "\n".join(i.value for i in DF.all("RUN", stage))


def apt_installed(run_text: str) -> set[str]:
    """Package names after `apt-get install` in RUN commands (options and shell variables left out)."""
    packages = set()
    for m in re.finditer(r"apt-get install ([^&;|]*)", run_text):
        for word in m.group(1).split():
            if not word.startswith("-") and not word.startswith("$"):
                packages.add(word)
    return packages


def executable_products() -> list[str]:
    return re.findall(r'\.executable\(name: "([^"]+)"', (REPO / "Package.swift").read_text())


def product_binaries() -> dict[str, Path]:
    found = {"logpilot-all": BIN}
    for product, variable in BINARY_ENV.items():
        if product != "logpilot-all" and os.environ.get(variable):
            found[product] = Path(os.environ[variable])
    return found


# -- stages -------------------------------------------------------------------------------------------------------


def test_two_stages_swift_build_then_slim_debian_runtime():
    froms = [i.value for i in DF.all("FROM")]
    assert len(froms) == 2, froms
    assert re.fullmatch(r"swift:\$\{SWIFT_VERSION\}-\$\{DEBIAN_CODENAME\} AS build", froms[0]), froms[0]
    assert re.fullmatch(r"debian:\$\{DEBIAN_CODENAME\}-slim AS runtime", froms[1]), froms[1]
    assert DF.global_args["DEBIAN_CODENAME"] == "bookworm"
    # nothing but the built binary (and the backtracer) crosses from the build stage
    copies = [i.value for i in DF.all("COPY", RUNTIME)]
    assert copies and all(c.startswith("--from=build /out/") for c in copies), copies


def test_swift_version_is_the_toolchain_the_project_is_tested_with():
    swift = shutil.which("swift")
    if not swift:
        pytest.skip("no swift on PATH to compare the Dockerfile's SWIFT_VERSION with")
    out = subprocess.run([swift, "--version"], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"Swift version (\d+\.\d+(?:\.\d+)?)", out)
    assert m, out
    assert DF.global_args["SWIFT_VERSION"] == m.group(1), (DF.global_args, out)
    assert int(m.group(1).split(".")[0]) >= 6


def test_build_stage_installs_the_system_library_dev_packages():
    providers = set()
    for group in re.findall(r"\.apt\(\[([^\]]*)\]\)", (REPO / "Package.swift").read_text()):
        providers |= set(re.findall(r'"([^"]+)"', group))
    assert providers >= {"libsqlite3-dev", "libnghttp2-dev", "libprotobuf-c-dev"}, providers
    installed = apt_installed(stage_runs(BUILD))
    assert providers <= installed, f"Package.swift needs {sorted(providers - installed)} in the build stage"
    assert "zlib1g-dev" in installed  # Foundation links zlib; the static link needs its .so/.a


def test_build_arg_chooses_one_of_the_executable_products():
    products = executable_products()
    assert sorted(products) == ["logpilot-all", "logpilot-grpc", "logpilot-rest"], products
    for stage in (BUILD, RUNTIME):
        assert DF.args(stage).get("PRODUCT") == "logpilot-all"
    build = stage_runs(BUILD)
    m = re.search(r"case \"\$PRODUCT\" in\s+([a-z|-]+)\)", build)
    assert m and sorted(m.group(1).split("|")) == sorted(products), build
    assert '--product "$PRODUCT"' in build
    assert "--static-swift-stdlib" in build
    assert "-c release" in build


# -- runtime libraries vs ldd ---------------------------------------------------------------------------------------


def ldd(binary: Path) -> dict[str, str]:
    """{soname: resolved path} of a binary's shared libraries (transitively, as the loader sees them)."""
    assert shutil.which("ldd"), "ldd is needed for this check"
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    libs = {}
    for line in out.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+) \(0x", line)
        if m:
            assert m.group(2) != "not", f"{binary}: {line.strip()}"
            libs[m.group(1)] = m.group(2)
        elif "not found" in line:
            pytest.fail(f"{binary}: {line.strip()}")
    return libs


def path_spellings(path: str) -> list[str]:
    """A library path as dpkg may have recorded it (usrmerge: /lib and /usr/lib; symlinks resolved or not)."""
    real = os.path.realpath(path)
    spellings = []
    for p in (path, real):
        spellings.append(p)
        if p.startswith("/lib/"):
            spellings.append("/usr" + p)
        elif p.startswith("/usr/lib/"):
            spellings.append(p[len("/usr"):])
    return list(dict.fromkeys(spellings))


def dpkg_owners(paths: list[str]) -> dict[str, str]:
    """{library path: Debian package shipping it}, from one `dpkg -S` call; paths no package ships are left out."""
    spellings = {path: path_spellings(path) for path in paths}
    everything = sorted({s for group in spellings.values() for s in group})
    out = subprocess.run(["dpkg", "-S", *everything], capture_output=True, text=True, timeout=60)
    shipped = {}
    for line in out.stdout.splitlines():
        package, _, file = line.partition(": ")
        shipped[file.strip()] = package.split(":", 1)[0].split(",")[0].strip()
    owners = {}
    for path, group in spellings.items():
        for spelling in group:
            if spelling in shipped:
                owners[path] = shipped[spelling]
                break
    return owners


def require_debian_bookworm():
    if not shutil.which("dpkg"):
        pytest.skip("no dpkg: the library -> package mapping needs a Debian machine")
    release = Path("/etc/os-release").read_text()
    m = re.search(r"^VERSION_CODENAME=(\S+)", release, re.M)
    if not m or m.group(1) != DF.global_args["DEBIAN_CODENAME"]:
        pytest.skip(f"this machine is not Debian {DF.global_args['DEBIAN_CODENAME']}: package names may differ")


def needed_packages(binary: Path) -> tuple[set[str], dict[str, str]]:
    """(Debian packages owning the binary's libraries, {soname: path} of libraries no package owns)."""
    libs = ldd(binary)
    owners = dpkg_owners(list(libs.values()))
    packages = {owners[path] for path in libs.values() if path in owners}
    unowned = {soname: path for soname, path in libs.items() if path not in owners}
    return packages, unowned


@pytest.fixture(scope="module")
def library_needs():
    require_debian_bookworm()
    binaries = product_binaries()
    missing = [p for p in BINARY_ENV if p not in binaries]
    if missing:
        pytest.skip(f"{', '.join(BINARY_ENV[p] for p in missing)} not set (scripts/test.sh sets them)")
    for product, path in binaries.items():
        if not path.exists():
            pytest.fail(f"{product} binary not found at {path}")
    return {product: needed_packages(path) for product, path in binaries.items()}


def test_runtime_packages_are_exactly_what_the_binaries_link(library_needs):
    args = DF.args(RUNTIME)
    common = set(args["RUNTIME_PACKAGES"].split())
    grpc_only = set(args["GRPC_RUNTIME_PACKAGES"].split())
    # libc6 (with the loader) is part of every Debian image and cannot be missing
    needs = {product: packages - {"libc6"} for product, (packages, _) in library_needs.items()}
    assert common == needs["logpilot-rest"], (
        f"RUNTIME_PACKAGES {sorted(common)} != packages logpilot-rest links {sorted(needs['logpilot-rest'])}")
    assert needs["logpilot-all"] == needs["logpilot-grpc"], needs
    assert common | grpc_only == needs["logpilot-all"], (
        f"RUNTIME_PACKAGES + GRPC_RUNTIME_PACKAGES {sorted(common | grpc_only)} != what logpilot-all links "
        f"{sorted(needs['logpilot-all'])}")
    assert not common & grpc_only
    # the RUN line installs these two lists, and the gRPC one only for the products that link it
    run = stage_runs(RUNTIME)
    assert 'packages="$RUNTIME_PACKAGES"' in run and "$GRPC_RUNTIME_PACKAGES" in run, run
    assert '"$PRODUCT" != logpilot-rest' in run, run
    assert "--no-install-recommends" in run and "rm -rf /var/lib/apt/lists/*" in run


def test_swift_runtime_libraries_are_linked_statically_in_the_image(library_needs):
    """The libraries no Debian package owns are the Swift toolchain's; each has a static archive, and the image is
    built with --static-swift-stdlib, so the runtime stage needs none of them."""
    unowned = {}
    for _, (_, libs) in library_needs.items():
        unowned.update(libs)
    assert unowned, "expected the (dynamic) test builds to link the Swift runtime"
    dirs = {str(Path(p).parent) for p in unowned.values()}
    assert len(dirs) == 1, f"libraries outside Debian packages from several places: {unowned}"
    swift_lib = Path(dirs.pop())
    assert swift_lib.parts[-2:] == ("swift", "linux"), swift_lib
    static_dir = swift_lib.parent.parent / "swift_static" / "linux"
    for soname in unowned:
        archive = static_dir / (soname.split(".so")[0] + ".a")
        assert archive.exists(), f"{soname} has no static archive {archive}: --static-swift-stdlib cannot replace it"
    assert "--static-swift-stdlib" in stage_runs(BUILD)


# -- runtime configuration ------------------------------------------------------------------------------------------


def test_expose_lists_the_binaries_default_ports():
    exposed = set()
    for i in DF.all("EXPOSE", RUNTIME):
        exposed |= {int(p.split("/")[0]) for p in i.value.split()}
    defaults = {
        "http": help_default(BIN, "--http-port"),
        "grpc": help_default(BIN, "--grpc-port"),
        "management": help_default(BIN, "--management-port"),
    }
    assert all(defaults.values()), f"cannot read the default ports from {BIN} --help: {defaults}"
    assert {name: int(v) for name, v in defaults.items()} == CONTRACT_PORTS
    assert exposed == set(CONTRACT_PORTS.values()), exposed


def test_entrypoint_is_exec_form_on_the_installed_binary():
    entry = DF.all("ENTRYPOINT", RUNTIME)
    assert len(entry) == 1
    argv = exec_form(entry[0].value)
    assert argv, f"ENTRYPOINT must be exec form (JSON array) so that SIGTERM reaches the server: {entry[0].value}"
    assert argv == ["/usr/local/bin/logpilot"], argv
    assert any(i.value.startswith("--from=build /out/logpilot /usr/local/bin/logpilot") for i in DF.all("COPY", RUNTIME))
    cmd = DF.all("CMD", RUNTIME)
    assert cmd and exec_form(cmd[-1].value) == [], "CMD [] (the server's defaults; `backup ...` replaces it)"
    stop = DF.all("STOPSIGNAL", RUNTIME)
    assert stop and stop[-1].value == "SIGTERM"


def test_user_is_numeric_non_root_and_matches_the_manifests():
    users = DF.all("USER", RUNTIME)
    assert users, "no USER: the image would run as root"
    m = re.fullmatch(r"(\d+):(\d+)", users[-1].value)
    assert m, f"USER must be numeric uid:gid (runAsNonRoot can only check numbers): {users[-1].value}"
    uid, gid = int(m.group(1)), int(m.group(2))
    assert uid != 0 and gid != 0
    run = stage_runs(RUNTIME)
    assert f"--uid {uid}" in run and f"--gid {gid}" in run
    assert re.search(rf"install -d -o {uid} -g {gid} .*/data", run), "the volume directory must belong to the user"
    statefulset = yaml.safe_load((K8S / "base" / "statefulset.yaml").read_text())
    pod_sc = statefulset["spec"]["template"]["spec"]["securityContext"]
    assert (pod_sc["runAsUser"], pod_sc["runAsGroup"], pod_sc["fsGroup"]) == (uid, gid, gid)


def test_data_volume_and_database_path():
    volumes = DF.all("VOLUME", RUNTIME)
    assert volumes and exec_form(volumes[-1].value) == ["/data"]
    env = " ".join(i.value for i in DF.all("ENV", RUNTIME))
    assert re.search(r"\bLOGPILOT_SQLITE_PATH=/data/logpilot\.db\b", env), env
    variables = set(re.findall(r"\b(LOGPILOT_[A-Z0-9_]+)=", env))
    unknown = variables - help_variables(BIN)
    assert not unknown, f"the image sets variables {BIN} --help does not know: {sorted(unknown)}"
    backtracer = re.search(r"swift-backtrace=(\S+)", env)
    assert backtracer and any(i.value.endswith(backtracer.group(1)) for i in DF.all("COPY", RUNTIME))


# -- HEALTHCHECK ------------------------------------------------------------------------------------------------------


def healthcheck_argv() -> list[str]:
    checks = DF.all("HEALTHCHECK", RUNTIME)
    assert len(checks) == 1
    m = re.search(r"CMD (\[.*\])$", checks[0].value)
    assert m, f"HEALTHCHECK must use exec form: {checks[0].value}"
    argv = exec_form(m.group(1))
    assert argv, checks[0].value
    return argv


def test_healthcheck_probes_liveness_on_the_management_port():
    argv = healthcheck_argv()
    script = argv[-1]
    assert "${LOGPILOT_MANAGEMENT_PORT:-8081}" in script
    assert "GET /health/live " in script
    assert argv[0] == "bash"  # in debian:bookworm-slim (Essential: yes); no curl in the image
    assert "curl" not in script and "wget" not in script


def run_healthcheck(port: int) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOGPILOT_MANAGEMENT_PORT": str(port)}
    return subprocess.run(healthcheck_argv(), capture_output=True, text=True, env=env, timeout=15)


def test_healthcheck_command_passes_against_a_live_server(server):
    started = time.monotonic()
    result = run_healthcheck(server.management_port)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert time.monotonic() - started < 5


def test_healthcheck_command_fails_without_a_server():
    result = run_healthcheck(free_port())
    assert result.returncode != 0


def test_healthcheck_command_fails_on_a_non_200_answer(server):
    """Pointed at the REST port, GET /health/live is a 404: the check must fail, not just connect."""
    result = run_healthcheck(server.http_port)
    assert result.returncode != 0


# -- .dockerignore ----------------------------------------------------------------------------------------------------


def test_dockerignore_keeps_the_build_inputs_and_drops_local_state():
    patterns = dockerignore_patterns()
    sources = []
    for i in DF.all("COPY", BUILD):
        parts = i.value.split()
        sources += [p for p in parts[:-1] if not p.startswith("--")]
    assert sources, "no COPY in the build stage"
    for source in sources:
        matches = list(REPO.glob(source))
        assert matches, f"COPY {source}: nothing in the repository matches"
        for match in matches:
            rel = str(match.relative_to(REPO))
            assert not dockerignored(rel, patterns), f"COPY {rel}, but .dockerignore excludes it"
    for kept in ["Package.swift", "Sources/LogPilotAll/main.swift", "Tests/LogPilotCoreTests"]:
        assert not dockerignored(kept, patterns), kept
    for dropped in [".build/release/logpilot-all", ".git/config", ".venv/bin/python", "data/logpilot.db",
                    "logpilot.db", "Tests/interop/conftest.py", "k8s/base/statefulset.yaml"]:
        assert dockerignored(dropped, patterns), f".dockerignore should exclude {dropped}"
