"""Officers sign in (issue 12, "Sign-in"): OpenID Connect against a real provider started here
(npm's oidc-provider), the development issuer of the embedded default, and identity resolution
(`--as` only while the development issuer is trusted). Every sign-in and refusal is audited."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey
from typer.testing import CliRunner

from conduct import audit
from conduct.roster import Officer, Roster
from conduct.settings import Settings, get_settings
from conduct.signin import token_cache as cache
from conduct.signin.bearer import SignInRefused, Trust, authenticate, trust
from conduct.signin.config import OidcSettings
from conduct.signin.device import DeviceAuthorization, DeviceFlowError, poll_for_tokens
from conduct.signin.session import cached_sign_in, login_device
from conduct.signin.verify import IssuerMetadata, RemoteKeys, TokenVerifier
from conduct.vocabulary import Role
from starter.cli import app
from starter.roster_io import roster_data_from_csv, roster_to_csv
from tests.oidc_provider import AUDIENCE, CLIENT_ID, OidcProvider, Unavailable, approve, rsa_key, running

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ROSTER = ROOT / "examples" / "roster.toml"
MO_EMAIL = "joanna.whitlock@adur-worthing.example"


def roster(*officers: Officer) -> Roster:
    return Roster(
        officers=list(officers)
        or [
            Officer(id="mo", name="Joanna Whitlock", email=MO_EMAIL, roles=[Role.MONITORING_OFFICER]),
            Officer(id="io-1", name="Fiona Blackwood", email="fb@adur-worthing.example",
                    roles=[Role.INVESTIGATING_OFFICER], login="entra-subject-7f3a"),
        ]
    )  # fmt: skip


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own config folder (tokens.json) and no officer in the environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("CONDUCT_OFFICER", raising=False)
    for name in ("ISSUER", "CLIENT_ID", "AUDIENCE", "SCOPE", "LEEWAY_SECONDS"):
        monkeypatch.delenv(f"CONDUCT_OIDC_{name}", raising=False)
    return tmp_path / "config"


def settings_in(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'conduct.db'}")


def real_trust(tmp_path: Path, provider: OidcProvider, audience: str = AUDIENCE, leeway: int = 0) -> Trust:
    oidc = OidcSettings(issuer=provider.issuer, client_id=CLIENT_ID, audience=audience, leeway_seconds=leeway)
    return trust(settings_in(tmp_path), oidc)


def device_login(trusted: Trust, people: Roster, login: str, deny: bool = False):  # noqa: ANN201
    """`conduct login`'s flow with the person approving as soon as the code is shown."""
    return login_device(
        trusted, people, lambda grant: approve(grant.verification_uri_complete or "", login, deny=deny), interval=0.05
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def provider_key() -> dict:
    return rsa_key()


@pytest.fixture(scope="module")
def provider(provider_key: dict) -> Iterator[OidcProvider]:
    try:
        with running([provider_key]) as started:
            yield started
    except Unavailable as why:
        pytest.skip(f"no local OpenID provider: {why}")


# ----------------------------------------------------------------------------- against oidc-provider


def test_device_flow_login_caches_private_tokens_and_signs_in_a_roster_officer(
    tmp_path: Path, provider: OidcProvider, config_home: Path
) -> None:
    trusted = real_trust(tmp_path, provider)
    shown: list[DeviceAuthorization] = []

    def person(grant: DeviceAuthorization) -> None:
        shown.append(grant)
        assert "Sign-in Success" in approve(grant.verification_uri_complete or "", MO_EMAIL.upper())

    old_umask = os.umask(0)  # even with a permissive umask, the secrets are born private
    try:
        signed_in = login_device(trusted, roster(), person, interval=0.05)
    finally:
        os.umask(old_umask)
    assert signed_in.officer.id == "mo" and signed_in.issuer == provider.issuer
    assert shown and shown[0].user_code and shown[0].verification_uri.startswith(provider.issuer)
    tokens_file = config_home / "conduct" / "tokens.json"
    assert mode(tokens_file) == 0o600 and mode(tokens_file.parent) == 0o700
    cached = cache.load(provider.issuer)
    assert cached is not None and cached.refresh_token and cached.via == "device"

    # A later command: the cached token, verified again and looked up on the roster in force.
    assert cached_sign_in(trusted, roster()).officer.id == "mo"
    # Taken off the roster: refused at once, though the token is still valid.
    with pytest.raises(SignInRefused, match="not an officer on the current roster"):
        cached_sign_in(
            trusted, roster(Officer(id="dem", name="H", email="h@x.example", roles=[Role.DEMOCRATIC_SERVICES]))
        )

    lines = audit.read(trusted.data_dir)
    assert [(line.officer, line.result) for line in lines][-3:] == [
        ("mo", "ok"), ("mo", "ok"), (MO_EMAIL.upper(), "refused")
    ]  # fmt: skip
    assert mode(audit.audit_path(trusted.data_dir)) == 0o600
    text = audit.audit_path(trusted.data_dir).read_text()
    assert cached.access_token not in text and cached.refresh_token not in text


def test_a_subject_login_maps_and_a_stranger_is_refused_and_nothing_is_cached(
    tmp_path: Path, provider: OidcProvider
) -> None:
    trusted = real_trust(tmp_path, provider)
    assert device_login(trusted, roster(), "entra-subject-7f3a").officer.id == "io-1"
    cache.remove(provider.issuer)
    with pytest.raises(SignInRefused, match="stranger@elsewhere.example is not an officer"):
        device_login(trusted, roster(), "stranger@elsewhere.example")
    assert cache.load(provider.issuer) is None
    assert audit.read(trusted.data_dir)[-1].result == "refused"


def test_a_denied_code_is_refused(tmp_path: Path, provider: OidcProvider) -> None:
    trusted = real_trust(tmp_path, provider)
    with pytest.raises(DeviceFlowError) as denied:
        device_login(trusted, roster(), MO_EMAIL, deny=True)
    assert denied.value.error == "access_denied"
    assert cache.load(provider.issuer) is None
    assert audit.read(trusted.data_dir)[-1].reason == "access_denied"


def test_an_expired_token_is_refused_and_the_refresh_token_renews_it(tmp_path: Path, provider_key: dict) -> None:
    try:
        # 3 s: `exp` is in whole seconds, so a 1 s token can be expired the moment it is issued.
        short = running([provider_key], access_ttl=3)
        provider = short.__enter__()
    except Unavailable as why:
        pytest.skip(f"no local OpenID provider: {why}")
    try:
        trusted = real_trust(tmp_path, provider, leeway=0)
        device_login(trusted, roster(), MO_EMAIL)
        first = cache.load(provider.issuer)
        assert first is not None
        time.sleep(4.1)
        with pytest.raises(SignInRefused, match="expired") as expired:
            trusted.verifier().verify(first.access_token)
        assert expired.value.expired
        # The next command renews the tokens with the refresh token and signs in.
        assert cached_sign_in(trusted, roster()).officer.id == "mo"
        renewed = cache.load(provider.issuer)
        assert renewed is not None and renewed.access_token != first.access_token
        assert audit.read(trusted.data_dir)[-1].via == "refresh"
    finally:
        short.__exit__(None, None, None)


def test_a_token_for_another_audience_is_refused(tmp_path: Path, provider: OidcProvider) -> None:
    trusted = real_trust(tmp_path, provider)
    device_login(trusted, roster(), MO_EMAIL)
    tokens = cache.load(provider.issuer)
    assert tokens is not None and tokens.id_token
    other_api = real_trust(tmp_path, provider, audience="https://another-api.council.example")
    with pytest.raises(SignInRefused, match="meant for another audience"):
        authenticate(tokens.access_token, roster(), other_api.verifier(), other_api.data_dir)
    # The ID token (audience: the CLI's client id) is not a bearer token for the API.
    with pytest.raises(SignInRefused, match="meant for another audience"):
        authenticate(tokens.id_token, roster(), trusted.verifier(), None)
    # Without an API audience configured, the ID token is the one that counts.
    id_only = real_trust(tmp_path, provider, audience="")
    assert id_only.audience == CLIENT_ID
    assert cached_sign_in(id_only, roster()).officer.id == "mo"
    assert audit.read(trusted.data_dir)[-2].reason == "the token is meant for another audience"


def test_a_token_from_another_issuer_is_refused_even_signed_with_the_same_key(
    tmp_path: Path, provider: OidcProvider, provider_key: dict
) -> None:
    with running([provider_key]) as impostor:
        device_login(real_trust(tmp_path, impostor), roster(), MO_EMAIL)
        forged = cache.load(impostor.issuer)
    assert forged is not None
    trusted = real_trust(tmp_path, provider)
    with pytest.raises(SignInRefused, match="issued by another identity provider"):
        authenticate(forged.access_token, roster(), trusted.verifier(), trusted.data_dir)
    # Nor is a configured issuer accepted when its discovery document names another.
    lookalike = OidcSettings(issuer=provider.issuer + "/", client_id=CLIENT_ID, audience=AUDIENCE)
    from conduct.signin.bearer import IssuerUnreachable

    with pytest.raises(IssuerUnreachable, match="names issuer"):
        trust(settings_in(tmp_path), lookalike).verifier().verify(forged.access_token)


def test_key_rotation_refetches_the_keys_once(tmp_path: Path, provider_key: dict) -> None:
    old_key, new_key = provider_key, rsa_key()
    jwks_fetches: list[str] = []
    http = httpx.Client(
        timeout=10,
        event_hooks={"request": [lambda r: jwks_fetches.append(r.url.path) if r.url.path == "/jwks" else None]},
    )
    try:
        rotating = OidcProvider(keys=[old_key]).start()
    except Unavailable as why:
        pytest.skip(f"no local OpenID provider: {why}")
    try:
        trusted = real_trust(tmp_path, rotating)
        trusted._verifier = TokenVerifier(
            rotating.issuer, AUDIENCE, RemoteKeys(rotating.issuer, http, refetch_seconds=0)
        )
        assert device_login(trusted, roster(), MO_EMAIL).officer.id == "mo"
        before = cache.load(rotating.issuer)
        assert jwks_fetches == ["/jwks"]

        rotating.restart([new_key, old_key])  # the provider signs with the new key, still publishes the old
        assert device_login(trusted, roster(), MO_EMAIL).officer.id == "mo"
        assert jwks_fetches == ["/jwks", "/jwks"]  # one refetch for the unknown kid, then cached
        assert cached_sign_in(trusted, roster()).officer.id == "mo"
        assert authenticate(before.access_token, roster(), trusted.verifier(), None).officer.id == "mo"
        assert jwks_fetches == ["/jwks", "/jwks"]

        # A kid the provider does not publish: one more refetch, then refused.
        stray = rsa_key()
        claims = {"iss": rotating.issuer, "aud": AUDIENCE, "sub": MO_EMAIL, "exp": int(time.time()) + 60}
        forged = jwt.encode({"alg": "RS256", "kid": stray["kid"]}, claims, KeySet.import_key_set({"keys": [stray]}))
        with pytest.raises(SignInRefused, match="key the identity provider does not publish"):
            authenticate(forged, roster(), trusted.verifier(), None)
        assert len(jwks_fetches) == 3
    finally:
        rotating.stop()
        http.close()


def test_conduct_login_logout_and_as_against_a_real_issuer(tmp_path: Path, provider: OidcProvider) -> None:
    """The commands as an officer types them: `--as` is refused in one line, `conduct login` prints a
    URL and a code and waits for approval, later commands use the cached sign-in, `logout` forgets it."""
    env = {
        **os.environ, "CONDUCT_DATA_DIR": str(tmp_path / "var"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "CONDUCT_DATABASE_URL": f"sqlite:///{tmp_path / 'conduct.db'}", "CONDUCT_OIDC_ISSUER": provider.issuer,
        "CONDUCT_OIDC_CLIENT_ID": CLIENT_ID, "CONDUCT_OIDC_AUDIENCE": AUDIENCE, "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    env.pop("CONDUCT_OFFICER", None)
    conduct = str(Path(sys.executable).parent / "conduct")

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([conduct, *args], env={**env, **extra}, capture_output=True, text=True, timeout=60)

    assert run("roster", "import", str(EXAMPLE_ROSTER)).returncode == 0  # the first import: nobody to ask
    refused = run("whoami", "--as", "mo")
    assert refused.returncode == 3
    assert refused.stderr.strip().count("\n") == 0 and "run `conduct login`" in refused.stderr
    assert run("whoami", CONDUCT_OFFICER="mo").returncode == 3
    nobody = run("whoami")
    assert nobody.returncode == 2 and "conduct login" in nobody.stderr
    assert run("login", "--dev", "mo").returncode == 3

    login = subprocess.Popen([conduct, "login"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert login.stdout is not None
        first = login.stdout.readline()
        assert first.startswith(f"To sign in, open {provider.issuer}/device and enter the code ")
        complete = login.stdout.readline().strip().removeprefix("(or open ").removesuffix(")")
        approve(complete, MO_EMAIL)
        output, errors = login.communicate(timeout=30)
    finally:
        login.kill()
    assert login.returncode == 0, errors
    assert "signed in as mo (Joanna Whitlock; monitoring_officer)" in output

    who = run("whoami")
    assert who.returncode == 0 and who.stdout.startswith("mo (Joanna Whitlock") and provider.issuer in who.stdout
    assert run("logout").returncode == 0
    assert not (tmp_path / "config" / "conduct" / "tokens.json").exists()
    assert run("whoami").returncode == 2
    assert [line.via for line in audit.read(tmp_path / "var") if line.result == "refused"][:2] == ["--as", "--as"]


# ----------------------------------------------------------------------------- the development issuer


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONDUCT_DATABASE_URL", f"sqlite:///{tmp_path / 'conduct.db'}")
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):  # noqa: ANN202
        get_settings.cache_clear()
        try:
            return runner.invoke(app, list(args), env=env)
        finally:
            get_settings.cache_clear()

    assert invoke("roster", "import", str(EXAMPLE_ROSTER)).exit_code == 0
    return invoke


def test_login_dev_signs_in_any_roster_officer_until_taken_off_the_roster(cli, tmp_path: Path) -> None:  # noqa: ANN001
    assert cli("whoami").exit_code == 2
    result = cli("login", "--dev", "io-1")
    assert result.exit_code == 0, result.output
    assert "signed in as io-1 (Fiona Blackwood; investigating_officer)" in result.output
    key = tmp_path / "var" / "signin-dev.jwk"
    assert mode(key) == 0o600 and '"d"' in key.read_text()
    who = cli("whoami")
    assert who.exit_code == 0 and who.output.startswith("io-1 (Fiona Blackwood") and "conduct-dev://" in who.output

    assert cli("login", "--dev", "mallory").exit_code == 3
    # A roster without io-1, imported by the MO (--as: the development issuer is trusted).
    text = EXAMPLE_ROSTER.read_text().replace('id = "io-1"', 'id = "io-9"')
    changed = tmp_path / "roster.toml"
    changed.write_text(text.replace("fiona.blackwood@", "f.blackwood@"))
    assert cli("roster", "import", str(changed), "--as", "mo").exit_code == 0
    refused = cli("whoami")
    assert refused.exit_code == 3 and "not an officer on the current roster" in refused.output

    assert cli("logout").exit_code == 0 and cache.load(trust(settings_in(tmp_path)).issuer) is None
    results = [(line.officer, line.result, line.via) for line in audit.read(tmp_path / "var")]
    assert ("io-1", "ok", "dev issuer") in results and ("mallory", "refused", "dev") in results
    assert ("fiona.blackwood@adur-worthing.example", "refused", "token") in results


def test_as_and_dev_are_refused_in_one_line_once_a_real_issuer_is_trusted(cli, tmp_path: Path) -> None:  # noqa: ANN001
    real = {"CONDUCT_OIDC_ISSUER": ISSUER}
    assert cli("whoami", "--as", "mo").exit_code == 0  # the development issuer: --as signs in
    for args, env in ((("whoami", "--as", "mo"), real), (("whoami",), {**real, "CONDUCT_OFFICER": "mo"})):
        refused = cli(*args, env=env)
        assert refused.exit_code == 3 and refused.output.strip().count("\n") == 0
        assert "development issuer only: run `conduct login`" in refused.output
    assert cli("login", "--dev", "mo", env=real).exit_code == 3
    nobody = cli("whoami", env=real)
    assert nobody.exit_code == 2 and f"run `conduct login` ({ISSUER})" in nobody.output
    assert [(line.result, line.reason) for line in audit.read(tmp_path / "var")][-4:] == [
        ("ok", None), ("refused", "--as with a real issuer"), ("refused", "--as with a real issuer"),
        ("refused", "--dev with a real issuer"),
    ]  # fmt: skip


def test_a_dev_token_signs_in_to_its_own_data_directory_only(tmp_path: Path) -> None:
    here, there = trust(settings_in(tmp_path / "a")), trust(settings_in(tmp_path / "b"))
    token = here.dev_issuer.mint(MO_EMAIL)
    assert authenticate(token, roster(), here.verifier(), None).officer.id == "mo"
    with pytest.raises(SignInRefused):
        authenticate(token, roster(), there.verifier(), None)


# ----------------------------------------------------------------------------- verification with a local JWKS


class LocalKeys:
    """A key source holding a JWKS in memory (what an issuer publishes)."""

    def __init__(self, keys: KeySet) -> None:
        self.published = keys

    def keys(self) -> KeySet:
        return self.published

    def refetch(self) -> KeySet | None:
        return self.published


ISSUER = "https://login.council.example/tenant"


def _signed(key, alg: str, **claims: object) -> str:  # noqa: ANN001
    now = int(time.time())
    body = {"iss": ISSUER, "aud": "api", "sub": MO_EMAIL, "iat": now, "exp": now + 300, **claims}
    return jwt.encode({"alg": alg, "kid": key.kid}, {k: v for k, v in body.items() if v is not None}, key,
                      algorithms=[alg])  # fmt: skip


def test_signature_algorithm_and_lifetime_rules() -> None:
    key = ECKey.generate_key("P-256", parameters={"alg": "ES256"})
    key.ensure_kid()
    public = KeySet.import_key_set({"keys": [key.as_dict(private=False)]})
    verifier = TokenVerifier(ISSUER, "api", LocalKeys(public), leeway_seconds=30)
    now = int(time.time())
    assert verifier.verify(_signed(key, "ES256")).subject == MO_EMAIL
    assert verifier.verify(_signed(key, "ES256", exp=now - 10)).subject == MO_EMAIL  # within the leeway
    for claims, refusal in (
        ({"exp": now - 60}, "expired"),
        ({"nbf": now + 120}, "not valid yet"),
        ({"exp": None}, "lacks exp"),
        ({"sub": None}, "lacks sub"),
        ({"aud": ["other", "more"]}, "another audience"),
        ({"iss": ISSUER + "/"}, "another identity provider"),
    ):
        with pytest.raises(SignInRefused, match=refusal):
            verifier.verify(_signed(key, "ES256", **claims))

    # An HMAC token keyed with something public, or no signature at all, is not accepted.
    secret = OctKey.import_key(b"x" * 32, parameters={"kid": key.kid})
    hmac_token = jwt.encode({"alg": "HS256", "kid": key.kid}, {"iss": ISSUER, "aud": "api", "sub": MO_EMAIL,
                            "exp": now + 60}, secret, algorithms=["HS256"])  # fmt: skip
    with pytest.raises(SignInRefused, match="not a token this system accepts"):
        verifier.verify(hmac_token)
    header, payload, _ = _signed(key, "ES256").split(".")
    with pytest.raises(SignInRefused):
        verifier.verify(f"{header}.{payload}.")
    other = ECKey.generate_key("P-256", parameters={"alg": "ES256", "kid": key.kid})
    with pytest.raises(SignInRefused, match="signature does not verify"):
        verifier.verify(_signed(other, "ES256"))


def test_an_unverified_email_does_not_sign_anyone_in() -> None:
    key = ECKey.generate_key("P-256", parameters={"alg": "ES256"})
    key.ensure_kid()
    verifier = TokenVerifier(ISSUER, "api", LocalKeys(KeySet.import_key_set({"keys": [key.as_dict(private=False)]})))
    token = _signed(key, "ES256", sub="opaque-123", email=MO_EMAIL, email_verified=False)
    with pytest.raises(SignInRefused, match="not an officer"):
        authenticate(token, roster(), verifier, None)
    assert (
        authenticate(_signed(key, "ES256", sub="opaque-123", email=MO_EMAIL), roster(), verifier, None).officer.id
        == "mo"
    )


# ----------------------------------------------------------------------------- the device flow's polling


def _token_endpoint(answers: list[tuple[int, dict]]) -> httpx.Client:
    """A token endpoint that gives these answers in turn (the RFC 8628 3.5 cases oidc-provider never sends)."""

    def reply(request: httpx.Request) -> httpx.Response:
        assert b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code" in request.content
        status, body = answers.pop(0)
        return httpx.Response(status, json=body)

    return httpx.Client(transport=httpx.MockTransport(reply))


METADATA = IssuerMetadata(issuer=ISSUER, jwks_uri=f"{ISSUER}/jwks", token_endpoint=f"{ISSUER}/token")
GRANT = DeviceAuthorization(device_code="d", user_code="ABCD-EFGH", verification_uri=f"{ISSUER}/device", expires_in=60)


def test_polling_waits_the_interval_and_slows_down_when_told() -> None:
    slept: list[float] = []
    http = _token_endpoint([
        (400, {"error": "authorization_pending"}), (400, {"error": "slow_down"}),
        (400, {"error": "authorization_pending"}), (200, {"access_token": "a", "token_type": "Bearer"}),
    ])  # fmt: skip
    answer = poll_for_tokens(METADATA, CLIENT_ID, GRANT, http, sleep=slept.append, clock=lambda: sum(slept))
    assert answer.access_token == "a" and slept == [5, 5, 10, 10]


def test_polling_stops_when_the_code_expires_or_is_denied() -> None:
    slept: list[float] = []
    pending = [(400, {"error": "authorization_pending"})] * 20
    with pytest.raises(DeviceFlowError) as expired:
        poll_for_tokens(METADATA, CLIENT_ID, GRANT, _token_endpoint(pending), sleep=slept.append,
                        clock=lambda: sum(slept))  # fmt: skip
    assert expired.value.error == "expired_token" and sum(slept) <= GRANT.expires_in
    for error in ("expired_token", "access_denied"):
        with pytest.raises(DeviceFlowError) as stopped:
            poll_for_tokens(
                METADATA, CLIENT_ID, GRANT, _token_endpoint([(400, {"error": error})]), sleep=lambda _: None
            )
        assert stopped.value.error == error


# ----------------------------------------------------------------------------- files


def test_tokens_file_is_replaced_atomically_and_logout_removes_only_this_issuer(config_home: Path) -> None:
    for issuer in ("https://a.example", "https://b.example"):
        cache.save(cache.CachedTokens(issuer=issuer, client_id="c", via="device", access_token=f"tok-{issuer}"))
    path = config_home / "conduct" / "tokens.json"
    assert mode(path) == 0o600 and set(json.loads(path.read_text())["sessions"]) == {
        "https://a.example", "https://b.example"
    }  # fmt: skip
    assert cache.remove("https://a.example") and not cache.remove("https://a.example")
    assert cache.load("https://b.example") is not None and [p.name for p in path.parent.iterdir()] == ["tokens.json"]
    assert cache.remove("https://b.example") and not path.exists()


def test_the_roster_csv_carries_an_officers_login() -> None:
    people = roster()
    back = roster_data_from_csv(roster_to_csv(people))["officers"]
    assert {o["id"]: o.get("login") for o in back} == {"mo": None, "io-1": "entra-subject-7f3a"}


def test_conduct_dev_announces_its_issuer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starter.signin_cli import banner_line

    line = banner_line(settings_in(tmp_path))
    assert f"development issuer conduct-dev://{(tmp_path / 'var').resolve()}" in line and "--dev mo" in line
    assert mode(tmp_path / "var" / "signin-dev.jwk") == 0o600
    monkeypatch.setenv("CONDUCT_OIDC_ISSUER", ISSUER)
    assert banner_line(settings_in(tmp_path)).startswith(f"Sign-in         {ISSUER}")
