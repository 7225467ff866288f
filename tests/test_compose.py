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

SERVICES = {
    "postgresql",
    "temporal",
    "temporal-setup",
    "temporal-ui",
    "worker",
    "web",
    "codec",
    "mailpit",
    "prometheus",
}
REQUIRED = {
    "POSTGRES_PASSWORD",
    "CONDUCT_ENCRYPTION_KEYS",
    "CONDUCT_WEBHOOK_SECRET",
    "CONDUCT_WEB_SECRET",
    "CONDUCT_CODEC_SECRET",
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
    for name in ("worker", "web"):
        depends = services[name]["depends_on"]
        assert depends["postgresql"]["condition"] == "service_healthy"
        assert depends["temporal"]["condition"] == "service_healthy"
        assert depends["temporal-setup"]["condition"] == "service_completed_successfully"
    assert services["temporal"]["depends_on"]["postgresql"]["condition"] == "service_healthy"
    for name in ("postgresql", "temporal", "web"):
        assert "healthcheck" in services[name], name
    for name in SERVICES - {"temporal-setup"}:
        assert services[name].get("restart") in ("unless-stopped", "always"), name
    assert services["temporal-setup"].get("restart") in ("on-failure", "no", None)


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
    for name in ("worker", "web"):
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
