"""The production-like stack (docker-compose.yml, Dockerfile, .env.example), checked without Docker:
`docker-compose config -q` when the tool is installed, and the stack's shape from the YAML itself."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from conduct import search
from conduct.settings import PROJECT_ROOT

yaml = pytest.importorskip("yaml", reason="PyYAML not installed: pip install pyyaml")

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
PYPROJECT = PROJECT_ROOT / "pyproject.toml"
PROMETHEUS_DIR = PROJECT_ROOT / "deploy" / "prometheus"
MAKE_CERTS = PROJECT_ROOT / "deploy" / "tls" / "make-certs.sh"

SERVICES = {
    "postgresql",
    "temporal",
    "temporal-setup",
    "temporal-ui",
    "worker",
    "web",
    "api",
    "codec",
    "mailpit",
    "prometheus",
    "tls-setup",
}
ONE_SHOT = {"temporal-setup", "tls-setup"}
# The servers that hold a Temporal client (README "mTLS to Temporal"); the codec endpoint decodes what
# the browser sends it and never calls Temporal.
TEMPORAL_CLIENTS = {"worker", "web", "api"}
REQUIRED = {
    "POSTGRES_PASSWORD",
    "CONDUCT_ENCRYPTION_KEYS",
    "CONDUCT_WEBHOOK_SECRET",
    "CONDUCT_WEB_SECRET",
    "CONDUCT_CODEC_SECRET",
    "CONDUCT_ATTESTATION_KEY",
    "CONDUCT_ATTESTATION_PUBLIC_KEYS",
}
# ${VAR}, ${VAR:-default}, ${VAR:?message}, $VAR; `$$` is an escaped dollar, not a variable.
VARIABLE = re.compile(r"(?<!\$)(?:\$\$)*\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")
SEARCH_TYPES = {
    "KEYWORD": "Keyword",
    "KEYWORD_LIST": "KeywordList",
    "DATETIME": "Datetime",
    "BOOL": "Bool",
    "INT": "Int",
    "DOUBLE": "Double",
    "TEXT": "Text",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def _env(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def _variables(text: str) -> set[str]:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return {a or b for a, b in VARIABLE.findall("\n".join(lines))}


def _env_example_names() -> set[str]:
    names = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.add(line.split("=", 1)[0].strip())
    return names


# ----------------------------------------------------------------------------- docker-compose config


def test_compose_config_is_valid(tmp_path: Path) -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("docker-compose not installed: apt-get install docker-compose")
    env_file = tmp_path / "dummy.env"
    env_file.write_text("".join(f"{name}=dummy-{name.lower()}\n" for name in sorted(REQUIRED)))
    env = {key: value for key, value in os.environ.items() if key not in _variables(COMPOSE.read_text())}

    def config() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, "--env-file", str(env_file), "-f", str(COMPOSE), "config", "-q"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )

    result = config()
    assert result.returncode == 0, result.stderr

    # Without the secrets it refuses, naming what is missing.
    env_file.write_text("")
    missing = config()
    assert missing.returncode != 0
    assert "set " in missing.stderr and ".env" in missing.stderr


# ----------------------------------------------------------------------------- the stack's shape


def test_services(compose: dict) -> None:
    assert set(compose["services"]) >= SERVICES


def test_worker_and_web_build_from_the_dockerfile(compose: dict) -> None:
    for name in ("worker", "web"):
        build = compose["services"][name]["build"]
        context, dockerfile = (
            (build, "Dockerfile")
            if isinstance(build, str)
            else (build["context"], build.get("dockerfile", "Dockerfile"))
        )
        assert (PROJECT_ROOT / context / dockerfile).resolve() == DOCKERFILE.resolve()
    assert compose["services"]["worker"]["command"] == ["conduct", "worker"]
    web = compose["services"]["web"]["command"]
    assert web[:2] == ["conduct", "web"]
    assert web[web.index("--host") + 1] == "0.0.0.0"
    assert web[web.index("--port") + 1] == "8000"


def test_dependencies_wait_for_health_and_setup(compose: dict) -> None:
    services = compose["services"]
    for name in ("worker", "web", "api"):
        depends = services[name]["depends_on"]
        assert depends["postgresql"]["condition"] == "service_healthy"
        assert depends["temporal"]["condition"] == "service_healthy"
        assert depends["temporal-setup"]["condition"] == "service_completed_successfully"
    assert services["temporal"]["depends_on"]["postgresql"]["condition"] == "service_healthy"
    assert services["temporal"]["depends_on"]["tls-setup"]["condition"] == "service_completed_successfully"
    for name in ("postgresql", "temporal", "web", "api"):
        assert "healthcheck" in services[name], name
    for name in SERVICES - ONE_SHOT:
        assert services[name].get("restart") in ("unless-stopped", "always"), name
    assert services["temporal-setup"].get("restart") in ("on-failure", "no", None)
    assert services["tls-setup"].get("restart") in ("no", None)  # missing certificates: fail once, say why


def test_temporal_on_postgresql(compose: dict) -> None:
    services = compose["services"]
    temporal = _env(services["temporal"])
    assert services["postgresql"]["image"].startswith("postgres:16")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgresql"]["volumes"])
    assert temporal["DB"] in ("postgres12", "postgres12_pgx")
    assert temporal["POSTGRES_SEEDS"] == "postgresql"
    assert _env(services["temporal-ui"])["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_case_register_on_its_own_postgresql_database(compose: dict) -> None:
    temporal = _env(compose["services"]["temporal"])
    temporal_databases = {temporal.get("DBNAME", "temporal"), temporal.get("VISIBILITY_DBNAME", "temporal_visibility")}
    for name in ("worker", "web", "api"):
        env = _env(compose["services"][name])
        url = env["CONDUCT_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://"), url
        assert "@postgresql:5432/" in url
        database = url.rsplit("/", 1)[1]
        assert database not in temporal_databases
        assert env["CONDUCT_TEMPORAL_ADDRESS"] == "temporal:7233"
        assert "CONDUCT_ENCRYPTION_KEYS" in env


def test_worker_mails_the_catcher_by_default(compose: dict) -> None:
    env = _env(compose["services"]["worker"])
    assert env["CONDUCT_MAIL_BACKEND"].startswith("${CONDUCT_MAIL_BACKEND:-smtp}")
    assert env["CONDUCT_SMTP_HOST"] == "${CONDUCT_SMTP_HOST:-mailpit}"
    assert env["CONDUCT_SMTP_PORT"] == "${CONDUCT_SMTP_PORT:-1025}"
    assert "CONDUCT_SENDGRID_API_KEY" in env
    assert compose["services"]["mailpit"]["image"].startswith("axllent/mailpit")
    assert any("8025" in str(port) for port in compose["services"]["mailpit"]["ports"])


def test_every_search_attribute_is_registered(compose: dict) -> None:
    setup = compose["services"]["temporal-setup"]
    assert setup["image"].startswith("temporalio/admin-tools")
    script = "\n".join(setup["command"]) if isinstance(setup["command"], list) else setup["command"]
    registered = dict(re.findall(r"search-attribute create .*?--name (\w+) --type (\w+)", script))
    expected = {
        key.name: SEARCH_TYPES[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")] for key in search.ALL
    }
    assert registered == expected


def test_secrets_are_required_not_committed(compose: dict) -> None:
    text = COMPOSE.read_text()
    for name in REQUIRED:
        assert re.search(r"\$\{" + name + r":\?[^}]+\}", text), f"{name} is not required with ${{{name}:?...}}"
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.split("=", 1)[0] in REQUIRED:
            assert line.split("=", 1)[1].strip() == "", f".env.example carries a value for {line}"


def test_every_variable_is_in_env_example() -> None:
    used = _variables(COMPOSE.read_text())
    assert used >= REQUIRED
    assert used - _env_example_names() == set()
    assert "new_key_spec" in ENV_EXAMPLE.read_text()


# ----------------------------------------------------------------------------- the officers' API


def test_the_officers_api_is_a_service_of_its_own(compose: dict) -> None:
    api = compose["services"]["api"]
    build = api["build"]
    assert (PROJECT_ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE.resolve()
    command = api["command"]
    assert command[:2] == ["conduct", "api"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8082"
    # Published on this machine unless the council names its own network's address.
    assert api["ports"] == ["${CONDUCT_API_BIND:-127.0.0.1}:${CONDUCT_API_PORT:-8082}:8082"]
    env = _env(api)
    for name in ("CONDUCT_OIDC_ISSUER", "CONDUCT_OIDC_CLIENT_ID", "CONDUCT_OIDC_AUDIENCE"):
        assert env[name].startswith("${" + name + ":-"), name
    assert env["CONDUCT_CODEC_SECRET"].startswith("${CONDUCT_CODEC_SECRET:?")  # codec tokens are issued here
    assert "8082" in api["healthcheck"]["test"][-1] and "/v1/health" in api["healthcheck"]["test"][-1]


def test_only_the_api_holds_the_attestation_signing_key(compose: dict) -> None:
    """The workers verify officer actions with the public key alone; a server that could sign one
    would let whoever runs it forge an officer's action past the API."""
    holders = {name for name, service in compose["services"].items() if "CONDUCT_ATTESTATION_KEY" in _env(service)}
    assert holders == {"api"}
    assert _env(compose["services"]["worker"])["CONDUCT_ATTESTATION_PUBLIC_KEYS"].startswith(
        "${CONDUCT_ATTESTATION_PUBLIC_KEYS:?"
    )


def test_header_tells_officers_to_use_the_api_not_temporal() -> None:
    header = "\n".join(line for line in COMPOSE.read_text().splitlines() if line.startswith("#"))
    assert "CONDUCT_API_URL=http://localhost:8082" in header
    assert "conduct login" in header
    assert "CONDUCT_TEMPORAL_ADDRESS" not in header


def test_the_worker_and_the_api_see_the_web_apps_evidence(compose: dict) -> None:
    """The web app keeps uploads in its DATA_DIR/uploads; `conduct evidence` (through the API) reads
    them and retention (the worker, `conduct retention`) deletes them: one volume, one folder."""
    services = compose["services"]
    web_mounts = dict(volume.split(":")[:2] for volume in services["web"]["volumes"])
    web_data = _env(services["web"])["CONDUCT_DATA_DIR"]
    uploads_volume = next(volume for volume, path in web_mounts.items() if path == web_data)
    for name in ("worker", "api"):
        mounts = {path: volume for volume, path in (v.split(":")[:2] for v in services[name]["volumes"])}
        upload_dir = Path(_env(services[name])["CONDUCT_UPLOAD_DIR"])
        assert upload_dir.name == "uploads"
        assert mounts[str(upload_dir.parent)] == uploads_volume, name


# ----------------------------------------------------------------------------- mTLS to Temporal


def _handovers(compose: dict) -> dict[str, tuple[str, str]]:
    """tls-setup's `hand_over NAME UID:GID` lines: {certificate name: (uid, gid)}."""
    command = compose["services"]["tls-setup"]["command"]
    script = "\n".join(command) if isinstance(command, list) else command
    return {name: (uid, gid) for name, uid, gid in re.findall(r"^\s*hand_over (\S+) (\d+):(\d+)\s*$", script, re.M)}


def _tls_volume(service: dict, directory: str) -> str:
    """The volume mounted read-only at `directory`, where the service's certificate is."""
    mounts = [volume.split(":") for volume in service.get("volumes", [])]
    found = [parts[0] for parts in mounts if parts[1] == directory]
    assert len(found) == 1, f"no single volume at {directory}: {mounts}"
    assert [parts for parts in mounts if parts[1] == directory][0][2:] == ["ro"]
    return found[0]


def _certificate_of(compose: dict, name: str) -> str:
    """The certificate name whose files tls-setup puts in the volume `name` mounts them from."""
    service = compose["services"][name]
    env = _env(service)
    if "CONDUCT_TEMPORAL_ADDRESS" in env:
        paths = [env.get(f"CONDUCT_TEMPORAL_TLS_{part}", "") for part in ("CERT", "KEY", "CA")]
    else:
        paths = [env.get(f"TEMPORAL_TLS_{part}", "") for part in ("CERT", "KEY", "CA")]
    assert all(paths), f"{name} reaches Temporal without a client certificate, key and CA: {paths}"
    directory = {str(Path(path).parent) for path in paths}
    assert len(directory) == 1, directory
    assert [Path(path).name for path in paths] == ["tls.pem", "tls.key", "ca.pem"]
    volume = _tls_volume(service, directory.pop())
    mounts = {volume.split(":")[0]: volume.split(":")[1] for volume in compose["services"]["tls-setup"]["volumes"]}
    return mounts[volume].removeprefix("/tls/")


def test_every_temporal_client_has_its_own_certificate(compose: dict) -> None:
    services = compose["services"]
    conduct_clients = {name for name, service in services.items() if "CONDUCT_TEMPORAL_ADDRESS" in _env(service)}
    assert conduct_clients == TEMPORAL_CLIENTS
    other_clients = {name for name, service in services.items() if "TEMPORAL_ADDRESS" in _env(service)}
    assert other_clients == {"temporal-ui", "temporal-setup"}
    certificates = {name: _certificate_of(compose, name) for name in conduct_clients | other_clients}
    assert certificates == {
        "worker": "worker",
        "web": "web",
        "api": "api",
        "temporal-ui": "ui",
        "temporal-setup": "admin-tools",
    }
    # The UI checks the server's name (the conduct servers and the CLI always do).
    ui = _env(services["temporal-ui"])
    assert ui["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    assert ui["TEMPORAL_TLS_SERVER_NAME"] == "temporal"
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "${TEMPORAL_UI_DISABLE_WRITE_ACTIONS:-true}"
    # Nobody else holds a certificate: the codec endpoint never calls Temporal.
    assert not any(volume.startswith("tls-") for volume in services["codec"].get("volumes", []))


def test_temporal_requires_client_certificates(compose: dict) -> None:
    temporal = compose["services"]["temporal"]
    env = _env(temporal)
    directory = "/etc/temporal/tls"
    assert _tls_volume(temporal, directory) == "tls-temporal"
    assert env["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    for name in ("TEMPORAL_TLS_SERVER_CERT", "TEMPORAL_TLS_FRONTEND_CERT", "TEMPORAL_TLS_CERT"):
        assert env[name] == f"{directory}/tls.pem", name
    for name in ("TEMPORAL_TLS_SERVER_KEY", "TEMPORAL_TLS_FRONTEND_KEY", "TEMPORAL_TLS_KEY"):
        assert env[name] == f"{directory}/tls.key", name
    # The CA that signs the clients' certificates is the one the frontend checks them against.
    for name in ("TEMPORAL_TLS_SERVER_CA_CERT", "TEMPORAL_TLS_CLIENT1_CA_CERT", "TEMPORAL_TLS_CLIENT2_CA_CERT"):
        assert env[name] == f"{directory}/ca.pem", name
    for name in ("TEMPORAL_TLS_FRONTEND_SERVER_NAME", "TEMPORAL_TLS_INTERNODE_SERVER_NAME", "TEMPORAL_TLS_SERVER_NAME"):
        assert env[name] == "temporal", name  # the name in the server certificate (deploy/tls/make-certs.sh)
    assert re.search(r"^SERVER=temporal$", MAKE_CERTS.read_text(), re.M)


def _published(port: object) -> tuple[str | None, str | None, str]:
    """(host address, host port, container port) of one `ports:` entry."""
    if isinstance(port, dict):
        return port.get("host_ip"), str(port.get("published", "")) or None, str(port["target"])
    parts = str(port).split("/")[0].split(":")
    container = parts[-1]
    host_port = parts[-2] if len(parts) >= 2 else None
    address = ":".join(parts[:-2]) if len(parts) >= 3 else None
    return address, host_port, container


def test_temporal_is_published_on_this_machine_only(compose: dict) -> None:
    """Officers reach the API, never Temporal: no service publishes 7233 beyond 127.0.0.1."""
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            address, host_port, container = _published(port)
            if "7233" in (host_port, container):
                assert name == "temporal", f"{name} publishes Temporal's port: {port}"
                assert address == "127.0.0.1", f"Temporal is published beyond this machine: {port}"


def test_tls_setup_hands_each_service_its_own_directory(compose: dict) -> None:
    setup = compose["services"]["tls-setup"]
    handovers = _handovers(compose)
    made = re.search(r"^SERVER=(\S+)\s*$", MAKE_CERTS.read_text(), re.M).group(1)
    clients = re.search(r'^CLIENTS="([^"]*)"', MAKE_CERTS.read_text(), re.M).group(1).split()
    assert set(handovers) == {made, *clients}  # every certificate the script makes, and no other
    mounts = dict(volume.split(":")[:2] for volume in setup["volumes"])
    assert mounts.pop("./deploy/tls/certs") == "/certs"
    assert setup["volumes"][0].endswith(":ro")
    assert sorted(mounts.values()) == sorted(f"/tls/{name}" for name in handovers)
    assert all(volume in compose["volumes"] for volume in mounts)
    # The conduct servers run as the image's user; the CA's key is never handed over.
    uid = re.search(r"useradd .*--uid (\d+)", DOCKERFILE.read_text()).group(1)
    for name in TEMPORAL_CLIENTS:
        assert handovers[name] == (uid, uid), name
    assert "ca.key" not in "\n".join(setup["command"])


def test_tls_setup_script_copies_private_files(compose: dict, tmp_path: Path) -> None:
    """tls-setup's own script, run here on a made-up tree: each directory ends up owned by its
    service's user, 0700, its files 0600; a missing certificate stops it with what to run."""
    if os.geteuid() != 0:
        pytest.skip("tls-setup changes owners: run as root to check it")
    if shutil.which("sh") is None:
        pytest.skip("no sh")
    script = compose["services"]["tls-setup"]["command"][0].replace("$$", "$")
    script = script.replace('"/certs/', f'"{tmp_path}/certs/').replace('"/tls/', f'"{tmp_path}/tls/')
    handovers = _handovers(compose)
    for name in handovers:
        (tmp_path / "certs" / name).mkdir(parents=True)
        (tmp_path / "tls" / name).mkdir(parents=True)
        for file in ("tls.pem", "tls.key", "ca.pem"):
            (tmp_path / "certs" / name / file).write_text(f"{name} {file}\n")
    run = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    for name, (uid, gid) in handovers.items():
        directory = tmp_path / "tls" / name
        assert (directory.stat().st_uid, directory.stat().st_gid) == (int(uid), int(gid))
        assert directory.stat().st_mode & 0o777 == 0o700
        assert sorted(path.name for path in directory.iterdir()) == ["ca.pem", "tls.key", "tls.pem"]
        for path in directory.iterdir():
            assert path.stat().st_mode & 0o777 == 0o600, path
            assert path.stat().st_uid == int(uid)
            assert path.read_text() == f"{name} {path.name}\n"

    (tmp_path / "certs" / "api" / "tls.key").unlink()
    missing = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert missing.returncode != 0
    assert "deploy/tls/certs/api/tls.key is missing: run deploy/tls/make-certs.sh" in missing.stderr


# ----------------------------------------------------------------------------- monitoring


def _scrape_targets(config: dict) -> dict[str, list[str]]:
    return {
        job["job_name"]: [target for static in job["static_configs"] for target in static["targets"]]
        for job in config["scrape_configs"]
    }


def test_prometheus_scrapes_the_worker_and_the_web_app(compose: dict) -> None:
    services = compose["services"]
    prometheus = services["prometheus"]
    assert prometheus["image"].startswith("prom/prometheus:")
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in prometheus["volumes"]}
    assert (PROJECT_ROOT / mounts["/etc/prometheus"]).resolve() == PROMETHEUS_DIR.resolve()
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    assert all((PROMETHEUS_DIR / name).is_file() for name in config["rule_files"])

    worker = _env(services["worker"])
    port = worker["CONDUCT_WORKER_METRICS_PORT"]
    assert worker["CONDUCT_WORKER_METRICS_HOST"] == "0.0.0.0"  # reachable from the prometheus container
    assert port in [str(p) for p in services["worker"]["expose"]]
    web = services["web"]["command"]
    targets = _scrape_targets(config)
    assert targets["conduct-worker"] == [f"worker:{port}"]
    assert targets["conduct-web"] == [f"web:{web[web.index('--port') + 1]}"]  # its /metrics


def test_alert_rules_cover_failing_activities_workflow_tasks_and_schedule_to_start() -> None:
    rules = [
        rule
        for group in yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    ]
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
    exprs = "\n".join(rule["expr"] for rule in rules)
    for metric in (
        "temporal_activity_execution_failed",
        "temporal_workflow_task_execution_failed",
        "temporal_workflow_task_schedule_to_start_latency_bucket",
        "temporal_activity_schedule_to_start_latency_bucket",
        "conduct_letters_failed",
    ):
        assert metric in exprs, metric


ALERT_TESTS = """
rule_files: [{rules}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: >-
          temporal_workflow_task_execution_failed{{workflow_type="Complaint",failure_reason="NonDeterminismError"}}
        values: '0 0 0 1 2 3 4 5 6 7 8 9 10'
      - series: 'temporal_activity_execution_failed{{activity_type="send_letter"}}'
        values: '0 1 1 1 1 1 1 1 1 1 1 1 1'
      - series: 'up{{job="conduct-worker"}}'
        values: '1 1 1 1 0 0 0 0 0 0 0 0 0'
    alert_rule_test:
      - eval_time: 10m
        alertname: ConductWorkflowTaskFailing
        exp_alerts:
          - exp_labels: {{severity: critical, workflow_type: Complaint, failure_reason: NonDeterminismError}}
            exp_annotations:
              summary: Workflow tasks of Complaint are failing (NonDeterminismError)
              description: >-
                Cases are stuck until a fix is deployed. Read the worker's log, run `conduct replay-check`
                against the running cases, and roll back the last deploy if it caused this.
      - eval_time: 10m
        alertname: ConductActivityFailing
        exp_alerts: []
      - eval_time: 10m
        alertname: ConductWorkerDown
        exp_alerts:
          - exp_labels: {{severity: critical, job: conduct-worker}}
            exp_annotations:
              summary: The conduct worker does not answer
              description: >-
                No worker means no letter is sent and no clock escalates. Check `docker compose ps worker`
                and its logs.
"""


def test_promtool_checks_the_config_and_the_alerts(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed: apt-get install prometheus")
    checked = subprocess.run(
        [promtool, "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tests = tmp_path / "alerts_test.yml"
    tests.write_text(ALERT_TESTS.format(rules=PROMETHEUS_DIR / "alerts.yml"))
    tested = subprocess.run([promtool, "test", "rules", str(tests)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


# ----------------------------------------------------------------------------- the image


def test_dockerfile() -> None:
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0].split()[1].startswith("python:3.11-slim")
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0", "0:0")
    assert [line for line in lines if line.startswith("CMD ")][-1] == 'CMD ["conduct", "worker"]'
    installs = [line for line in lines if "pip install" in line]
    assert installs and all(" -e " not in line and "[test]" not in line for line in installs)
    assert any(re.fullmatch(r"RUN pip install \.", line) for line in installs)
    assert any(line.startswith("COPY templates /app/templates") for line in lines)
    assert "CONDUCT_TEMPLATES_DIR=/app/templates" in DOCKERFILE.read_text()


def test_templates_dir_setting_is_the_one_the_image_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    from conduct.settings import Settings

    monkeypatch.setenv("CONDUCT_TEMPLATES_DIR", "/app/templates")
    assert Settings(_env_file=None).templates_dir == Path("/app/templates")


def test_dockerignore_keeps_what_the_image_needs() -> None:
    ignored = {line.strip() for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()}
    for needed in ("pyproject.toml", "worker.py", "templates", "conduct", "workflows", "activities", "starter"):
        assert needed not in ignored
    assert {".env", ".venv", "var", ".git"} <= ignored


def test_pyproject_lists_every_package() -> None:
    declared = set(tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(PROJECT_ROOT).parts)
        for top in ("conduct", "workflows", "activities", "starter")
        for init in (PROJECT_ROOT / top).rglob("__init__.py")
    }
    assert found - declared == set(), "packages missing from [tool.setuptools] packages: pip install . would drop them"
