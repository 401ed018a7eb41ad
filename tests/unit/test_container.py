"""The container image (deploy/container/Containerfile) and the compose file: two stages,
a non-root user, a health check, commands `pahna` accepts; and, where a container runtime
is installed (podman), the image built from a local Debian base and the demo run in it.
Where none is, or the long build is not asked for, the test is skipped saying which (the
suite runs with -ra, so the CI log shows the reason)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path

import click
import pytest
import yaml

from pahna.cli import main

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "deploy" / "container"
BASE = "localhost/pahna-base:bookworm"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Containerfile, continuation lines joined."""
    text = (FOLDER / "Containerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in
            text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def accepted(args: list[str]) -> None:
    """`pahna ARGS` parses (an unknown command or option raises)."""
    assert args[0] == "pahna", args
    command = main.get_command(click.Context(main), args[1])
    assert command is not None, args
    command.make_context(args[1], args[2:])


def test_the_image_has_two_stages_a_user_and_a_health_check() -> None:
    steps = instructions()
    stages = [args for kind, args in steps if kind == "FROM"]
    assert len(stages) == 2 and stages[0].endswith(" AS build")
    final = steps[max(i for i, (kind, _) in enumerate(steps) if kind == "FROM"):]
    users = [args for kind, args in final if kind == "USER"]
    assert users == ["pahna"]
    assert any(kind == "COPY" and args.startswith("--from=build") for kind, args in final)
    assert [kind for kind, _ in final].count("HEALTHCHECK") == 1
    (cmd,) = [json.loads(args) for kind, args in final if kind == "CMD"]
    accepted(cmd)


def test_compose_starts_postgres_the_portal_and_a_collector() -> None:
    compose = yaml.safe_load((FOLDER / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "portal", "collector", "migrate"} <= set(services)
    assert "healthcheck" in services["postgres"]
    for name in ("portal", "collector", "migrate"):
        service = services[name]
        assert service["image"] == "localhost/pahna:latest"
        assert service["environment"]["PAHNA_REGISTRY_URL"].startswith("postgresql+psycopg://")
        assert "home:/srv/pahna" in service["volumes"]
    for name in ("portal", "collector"):
        accepted(services[name]["command"])
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
    migrate = services["migrate"]["command"][-1]
    assert migrate.endswith("exec pahna migrate")
    accepted(shlex.split(migrate.split(";")[0].split("||")[1]))
    assert services["collector"]["environment"]["PAHNA_HEALTH_URL"].endswith(":9100/metrics")


def podman(*args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)


def proxy_ca() -> list[str]:
    """The CA bundle pip trusts here ($PIP_CERT), for pip in the build (a proxy that
    re-signs TLS would be refused otherwise)."""
    bundle = os.environ.get("PIP_CERT", "")
    if not bundle or not Path(bundle).is_file():
        return []
    return ["--volume", f"{bundle}:/etc/ssl/build-ca.crt:ro",
            "--build-arg", "PIP_CERT=/etc/ssl/build-ca.crt"]


@pytest.mark.slow
def test_the_image_builds_and_runs_the_demo(tmp_path: Path) -> None:
    if shutil.which("podman") is None:
        pytest.skip("no container runtime here (podman is not installed): the image was "
                    "neither built nor run")
    if os.environ.get("PAHNA_TEST_CONTAINER") != "1":
        pytest.skip("podman is here, but building the image takes minutes: set "
                    "PAHNA_TEST_CONTAINER=1 to build it and run the demo in it")
    if podman("image", "exists", BASE).returncode != 0:
        if shutil.which("debootstrap") is None:
            pytest.skip(f"no base image {BASE} and no debootstrap to make it")
        made = subprocess.run(["sh", str(FOLDER / "make-base.sh")], capture_output=True,
                              text=True, timeout=3600)
        assert made.returncode == 0, made.stderr
    tag = f"localhost/pahna-test:{uuid.uuid4().hex[:12]}"
    # chroot isolation: RUN steps need no OCI runtime, so this works inside a container
    built = podman("build", "--isolation", "chroot", "--format", "docker", *proxy_ca(), "-f",
                   str(FOLDER / "Containerfile"), "-t", tag, str(REPO))
    assert built.returncode == 0, built.stderr[-4000:]
    try:
        (config,) = json.loads(podman("image", "inspect", tag).stdout)
        assert config["Config"]["User"] == "pahna"
        check = config.get("Healthcheck") or config["Config"].get("Healthcheck")  # podman: top
        assert check["Test"][0] == "CMD" and "PAHNA_HEALTH_URL" in check["Test"][-1]
        # the demo, run in the image as its user, as a build step of an image on top of it
        (tmp_path / "Containerfile").write_text(
            f"FROM {tag}\nRUN test \"$(id -u)\" = 10001 && cd /srv/pahna && "
            "pahna demo --home demo --flows 20000\n", encoding="utf-8")
        demo = podman("build", "--isolation", "chroot", "-f", str(tmp_path / "Containerfile"),
                      "-t", f"{tag}-demo", str(tmp_path))
        assert demo.returncode == 0, demo.stderr[-4000:]
        assert "Statements (CSV and HTML per producer" in demo.stdout, demo.stdout[-4000:]
    finally:
        podman("rmi", "-f", f"{tag}-demo", tag)
