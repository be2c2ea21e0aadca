"""Checks on the built executables themselves (not on their API)."""
import os
import shutil
import subprocess

import pytest

REST_BIN = os.environ.get("LOGPILOT_REST_BIN")


@pytest.mark.skipif(not REST_BIN, reason="LOGPILOT_REST_BIN not set (scripts/test.sh sets it)")
def test_logpilot_rest_links_neither_nghttp2_nor_protobuf_c():
    """The REST-only binary must not carry the gRPC front's C libraries (ARCHITECTURE.md §1)."""
    assert shutil.which("ldd"), "ldd is needed for this check"
    out = subprocess.run(["ldd", REST_BIN], capture_output=True, text=True, check=True).stdout
    assert "libsqlite3" in out, out  # the check can see linked libraries at all
    assert "nghttp2" not in out, out
    assert "protobuf-c" not in out, out


@pytest.mark.skipif(not REST_BIN, reason="LOGPILOT_REST_BIN not set (scripts/test.sh sets it)")
def test_logpilot_rest_help_lists_its_settings():
    out = subprocess.run([REST_BIN, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    for flag, variable in [("--http-port", "LOGPILOT_HTTP_PORT"), ("--sqlite-path", "LOGPILOT_SQLITE_PATH"),
                           ("--management-port", "LOGPILOT_MANAGEMENT_PORT")]:
        assert flag in out.stdout and variable in out.stdout, (flag, out.stdout)
