"""The officers' API (`conduct api`) and the CLI as its client (CONDUCT_API_URL), against a real
Temporal dev server: the CLI runs as an officer's machine would run it, a separate process whose
environment has the API's URL and nothing else (no Temporal address, no keys, no database).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn

from conduct import audit
from starter.api.app import create_api
from starter.forwarded import UVICORN_OPTIONS
from tests import devserver_fixtures
from tests.devserver_fixtures import Conduct
from tests.ports import free_port

dev_server = devserver_fixtures.dev_server
conduct = devserver_fixtures.conduct
CONDUCT = str(Path(sys.executable).parent / "conduct")


class _InLoop(uvicorn.Server):
    def capture_signals(self):  # noqa: ANN201 - Ctrl-C belongs to pytest
        return contextlib.nullcontext()


@dataclass
class Api:
    url: str
    conduct: Conduct
    home: Path

    async def cli(self, *args: str, stdin: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
        """`conduct ARGS` on an officer's machine: only the API's URL and a config folder."""
        env = {"PATH": os.environ["PATH"], "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / "config"),
               "CONDUCT_API_URL": self.url, "COLUMNS": "200", **extra}  # fmt: skip
        return await asyncio.to_thread(
            subprocess.run, [CONDUCT, *args], env=env, cwd=self.home, input=stdin, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip


@contextlib.asynccontextmanager
async def serving(conduct: Conduct, home: Path) -> AsyncIterator[Api]:
    """The officers' API on a free port of this event loop, trusting the issuer the environment names."""
    port = free_port()
    server = _InLoop(uvicorn.Config(create_api(conduct.settings), host="127.0.0.1", port=port, log_level="warning",
                                    **UVICORN_OPTIONS))  # fmt: skip
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the API did not start"
        await asyncio.sleep(0.05)
    try:
        yield Api(f"http://127.0.0.1:{port}", conduct, home)
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(conduct: Conduct, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    async with serving(conduct, tmp_path_factory.mktemp("officer")) as started:
        yield started


@pytest.mark.asyncio(loop_scope="session")
async def test_an_officer_machine_drives_a_case_through_the_api_with_the_same_commands_and_exit_codes(
    api: Api, tmp_path: Path
) -> None:
    reference = await api.conduct.open_case()
    shown = await api.cli("show", reference, "--json", "--as", "mo")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["reference"] == reference

    triaged = await api.cli("triage", reference.lower(), "--notify", "--as", "mo")
    assert triaged.returncode == 0, triaged.stderr
    assert f"{reference} (" in triaged.stdout

    # a file the command reads travels with the request: from a path and from stdin
    question = tmp_path / "question.txt"
    question.write_text("Please send the date of the meeting you describe.")
    asked = await api.cli("request-info", reference, "--file", str(question), "--as", "mo")
    assert asked.returncode == 0, asked.stderr
    listed = await api.cli("cases", "--json", env_officer := "--as", "mo")
    assert listed.returncode == 0 and reference in [c["reference"] for c in json.loads(listed.stdout)], env_officer
    history = json.loads((await api.cli("history", reference, "--json", "--as", "mo")).stdout)
    assert "Please send the date of the meeting" in json.dumps(history)

    # the exit codes of the commands themselves: usage 2, refused 3, no such case 4
    assert (await api.cli("triage", reference, "--as", "mo")).returncode == 2
    refused = await api.cli("assess", reference, "--outcome", "no-action", "--ground", "not-as-member", "--text", "x",
                            "--test-failed", "code-engaged", "--public-interest", "not-met",
                            "--public-interest-reason", "x", "--as", "dem")  # fmt: skip
    assert refused.returncode == 3 and refused.stderr.startswith("error:"), refused.stderr
    assert (await api.cli("show", "WBC-2099-9999", "--as", "mo")).returncode == 4
    stranger = await api.cli("show", reference, "--as", "nobody")
    assert stranger.returncode == 3 and "not on the current roster" in stranger.stderr
    assert (await api.cli("show", reference, CONDUCT_OFFICER="mo")).returncode == 0
    nobody = await api.cli("show", reference)
    assert nobody.returncode == 2 and "conduct login" in nobody.stderr

    # `login --dev` caches a development token; later commands need no --as
    assert (await api.cli("login", "--dev", "mo")).returncode == 0
    who = await api.cli("whoami")
    assert who.returncode == 0 and who.stdout.startswith("mo ("), who.stderr
    assert (await api.cli("logout")).returncode == 0
    assert (await api.cli("whoami")).returncode == 2

    # the API is unreachable: exit 1 with one line
    down = await api.cli("show", reference, "--as", "mo", CONDUCT_API_URL=f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1 and "cannot reach the officers' API" in down.stderr


@pytest.mark.asyncio(loop_scope="session")
async def test_the_api_opens_no_file_it_was_not_sent_and_answers_resources_as_json(api: Api) -> None:
    reference = await api.conduct.open_case()
    mo = {"X-Conduct-Officer": "mo"}
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
        # a path on the server named in the command line is refused, not read
        sneaky = await http.post("/v1/commands", headers=mo,
                                 json={"argv": ["request-info", reference, "--file", "/etc/hostname"]})  # fmt: skip
        assert sneaky.status_code == 200 and sneaky.json()["exit_code"] == 2
        assert "must be sent as a file" in sneaky.json()["stderr"]
        server_side = await http.post("/v1/commands", headers=mo, json={"argv": ["worker"]})
        assert server_side.json()["exit_code"] == 2 and "server only" in server_side.json()["stderr"]

        case = await http.get(f"/v1/cases/{reference}", headers=mo)
        assert case.status_code == 200 and case.json()["reference"] == reference
        assert (await http.get("/v1/cases/WBC-2099-9999", headers=mo)).status_code == 404
        assert (await http.get(f"/v1/cases/{reference}", headers={"X-Conduct-Officer": "nobody"})).status_code == 403
        assert (await http.get(f"/v1/cases/{reference}", headers={"Authorization": "Bearer x.y.z"})).status_code == 401
        acted = await http.post(f"/v1/cases/{reference}/actions/triage", headers=mo, json={"notify": True})
        assert acted.status_code == 200, acted.text
        assert (await http.post(f"/v1/cases/{reference}/actions/triage", headers=mo, json={})).status_code in (400, 403)
        overdue = await http.get("/v1/cases", params={"overdue": "true"}, headers=mo)
        assert overdue.status_code == 200 and isinstance(overdue.json(), list)

    lines = audit.read(api.conduct.settings.data_dir)
    assert any(line.officer == "nobody" and line.result == "refused" for line in lines)
    assert any(line.action == "triage" and line.case == reference and line.result == "ok" for line in lines)


@pytest.mark.asyncio(loop_scope="session")
async def test_an_officer_signs_in_at_the_councils_identity_provider_and_acts_through_the_api(
    conduct: Conduct, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`conduct login` (device flow, a real OpenID provider) on the officer's machine; the API verifies
    the token on every request; `--as` is refused in one line; `logout` forgets the tokens."""
    from tests.oidc_provider import AUDIENCE, CLIENT_ID, Unavailable, approve, rsa_key, running

    reference = await conduct.open_case()
    try:
        with running([rsa_key()]) as provider:
            for name, value in (("ISSUER", provider.issuer), ("CLIENT_ID", CLIENT_ID), ("AUDIENCE", AUDIENCE)):
                monkeypatch.setenv(f"CONDUCT_OIDC_{name}", value)
            async with serving(conduct, tmp_path) as api:
                login = await asyncio.to_thread(
                    subprocess.Popen, [CONDUCT, "login"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                    cwd=tmp_path, env={"PATH": os.environ["PATH"], "XDG_CONFIG_HOME": str(tmp_path / "config"),
                                       "CONDUCT_API_URL": api.url},
                )  # fmt: skip
                try:
                    assert login.stdout is not None
                    first = await asyncio.to_thread(login.stdout.readline)
                    assert first.startswith(f"To sign in, open {provider.issuer}/device and enter the code "), first
                    line = await asyncio.to_thread(login.stdout.readline)
                    complete = line.strip().removeprefix("(or open ").removesuffix(")")
                    await asyncio.to_thread(approve, complete, "joanna.whitlock@adur-worthing.example")
                    output, errors = await asyncio.to_thread(login.communicate, timeout=60)
                finally:
                    login.kill()
                assert login.returncode == 0, errors
                assert "signed in as mo (Joanna Whitlock" in output

                triaged = await api.cli("triage", reference, "--notify")
                assert triaged.returncode == 0, triaged.stderr
                shown = json.loads((await api.cli("show", reference, "--json")).stdout)
                assert shown["stage"] != "received"
                as_flag = await api.cli("show", reference, "--as", "mo")
                assert as_flag.returncode == 3 and as_flag.stderr.strip().count("\n") == 0
                assert "run `conduct login`" in as_flag.stderr
                assert (await api.cli("logout")).returncode == 0
                assert (await api.cli("show", reference)).returncode == 2
    except Unavailable as why:
        pytest.skip(f"no local OpenID provider: {why}")
    via = [(line.officer, line.via) for line in audit.read(conduct.settings.data_dir) if line.result == "ok"]
    assert ("mo", "api") in via


def test_the_words_that_name_files_are_found_by_the_commands_own_parameters() -> None:
    """What the client sends (files read) and asks back (files written), and what the API refuses
    to open on the server: found from each command's Path parameters, whatever the spelling."""
    from starter.command_files import parse

    read = parse(["draft-report", "WBC-2026-0001", "--file=-", "--as", "io-1"])
    assert read.names == ["draft-report"] and read.argv[2:4] == ["--file", "-"]
    assert [(f.index, f.output) for f in read.files] == [(3, False)]
    roster = parse(["roster", "import", "./people.toml", "--reason", "May elections"])
    assert roster.names == ["roster", "import"] and [(f.index, f.output) for f in roster.files] == [(2, False)]
    saved = parse(["evidence", "WBC-2026-0001", "--save", "1", "--to", "out"])
    assert [(f.index, f.output, f.folder) for f in saved.files] == [(5, True, True)]
    assert parse(["show", "WBC-2026-0001", "--json"]).files == []
    assert parse(["no-such-command", "--file", "x"]).files == []
