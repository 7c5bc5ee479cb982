"""The CI examples (examples/ci) as CI runs them: their structure, then their steps, run through the real engine.

Each file is parsed (PyYAML) and checked for what makes it a release flow signed in by workload identity: the OIDC
permission or the workload-identity service connection, the federated-credential variables, an azblob state
backend, `pulumi install`, `preview` and `up` in that order, and a manual gate before the go-live.

Then its jobs run, step by step, in a workspace holding a copy of examples/python (the release flow), as a runner
would run them: every shell step (`run:`, `script:`, AzureCLI@2's `inlineScript`) is run whole by bash, token
fetching included. Expressions are replaced from the tables below; an expression, a `$(macro)`, an action or task
the test does not know fails the test, and so does any step that fails. What a hosted runner provides, the test
provides, and says so:

* ``actions/checkout``, ``checkout: self``: the copy of examples/python (its ``-e ../..`` pointed at this checkout);
  the stack's config file (``Pulumi.prod.yaml``, what the repository would commit) points at the simulator.
* ``actions/setup-python``, ``UsePythonVersion@0``: the machine's python3, checked to be the version asked for.
* ``pulumi/actions``, the get.pulumi.com script: this suite's engine, checked to be the version pinned.
* the OIDC token services: GitHub's (``ACTIONS_ID_TOKEN_REQUEST_URL``/``_TOKEN``) and Azure DevOps'
  (``SYSTEM_OIDCREQUESTURI``, and AzureCLI@2's ``idToken``) are one loopback HTTP server issuing opaque
  assertions, each of which the loopback Entra token endpoint then accepts (``AZURE_AUTHORITY_HOST``, its CA
  appended to the machine's roots in ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``: additions of the test).
* ``PULUMI_BACKEND_URL``: checked to be ``azblob://<container>``, then replaced by a ``file://`` backend (no
  storage account here); ``AZURE_STORAGE_ACCOUNT`` is passed on unused.

``pulumi`` on the steps' PATH is a wrapper that tells the test when each command starts and ends, so each command's
requests to the simulator are counted, and the commands run are compared with those written in the file.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

import certifi
import pytest
import yaml  # type: ignore[import-untyped]

from pulumi_cpp_golive.simulator import Simulator

from ..loopback import JsonHandler, LoopbackServer
from ..token_endpoint import TokenEndpoint
from .conftest import PASSPHRASE, ROOT

CI = ROOT / "examples" / "ci"
GITHUB_FILE, PIPELINES_FILE = CI / "github-actions.yml", CI / "azure-pipelines.yml"
TENANT, CLIENT_ID = "00000000-0000-0000-0000-00000000000c", "00000000-0000-0000-0000-00000000000d"
STACK = "prod"
OFFER_VERSION = "2"
STEP_TIMEOUT = 600.0
REQUEST_TOKEN = f"gh-request-{secrets.token_hex(8)}"  # what GitHub gives the job to ask for OIDC tokens
SYSTEM_ACCESS_TOKEN = f"ado-system-{secrets.token_hex(8)}"  # Azure DevOps' System.AccessToken
SERVICE_CONNECTION_ID = "00000000-0000-0000-0000-0000000000ee"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
MACRO = re.compile(r"\$\(([A-Za-z_][\w.]*)\)")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def pulumi_commands(script: str) -> list[str]:
    """The `pulumi ...` command lines of a shell script, continuation lines joined."""
    lines = script.replace("\\\n", " ").splitlines()
    return [" ".join(line.split()) for line in lines if line.strip().startswith("pulumi ")]


def subcommand(command_line: str) -> str:
    """``pulumi stack select --create x`` -> ``stack select``: the words before the first option or argument."""
    words = command_line.split()[1:] if command_line.startswith("pulumi ") else command_line.split()
    kept = list(itertools.takewhile(lambda w: w.isalpha() and w.islower(), words))
    return " ".join(kept[:2] if kept[:1] in (["stack"], ["config"]) else kept[:1])


def _index(commands: list[str], wanted: str) -> int:
    found = [i for i, c in enumerate(commands) if subcommand(c) == wanted]
    assert found, f"no `pulumi {wanted}` among {commands}"
    return found[-1]


def assert_release_order(commands: list[str], *, gate: bool) -> None:
    assert _index(commands, "install") < _index(commands, "preview") < _index(commands, "up"), commands
    assert any("--yes" in c and "--stack" in c for c in commands if subcommand(c) == "up"), commands
    go_live = [c for c in commands if subcommand(c) == "config set" and "goLive true" in c]
    assert bool(go_live) == gate, commands
    if gate:
        assert commands.index(go_live[0]) < _index(commands, "up")


def assert_no_machine_details(path: Path) -> None:
    text = path.read_text()
    for needle in ("/root", "/work/", "/tmp/", "/home/", "eyJ", "127.0.0.1", "localhost"):
        assert needle not in text, f"{path.name} holds {needle!r}"


# ---- structure ---------------------------------------------------------------------------------------------------

def test_github_actions_structure() -> None:
    assert_no_machine_details(GITHUB_FILE)
    workflow = _load(GITHUB_FILE)
    raw: dict[Any, Any] = workflow
    triggers: dict[str, Any] = raw["on"] if "on" in raw else raw[True]  # YAML 1.1 reads a bare `on` as true
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert inputs["go_live"]["type"] == "boolean" and inputs["go_live"]["default"] is False
    assert workflow["permissions"]["id-token"] == "write"
    env = workflow["env"]
    assert re.fullmatch(r"azblob://\$\{\{ vars\.\w+ \}\}", env["PULUMI_BACKEND_URL"])
    assert {"AZURE_STORAGE_ACCOUNT", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"} <= set(env)
    assert "AZURE_CLIENT_SECRET" not in GITHUB_FILE.read_text()
    jobs = workflow["jobs"]
    assert list(jobs) == ["publish", "go-live"]
    gate = jobs["go-live"]
    assert gate["needs"] == "publish" and gate["if"] == "${{ inputs.go_live }}" and gate["environment"]
    for name, job in jobs.items():
        scripts = [step["run"] for step in job["steps"] if "run" in step]
        sign_in = [s for s in scripts if "ACTIONS_ID_TOKEN_REQUEST_URL" in s]
        assert len(sign_in) == 1, name
        assert "audience=api://AzureADTokenExchange" in sign_in[0]
        assert 'AZURE_FEDERATED_TOKEN_FILE=$token_file" >> "$GITHUB_ENV"' in sign_in[0]
        assert scripts.index(sign_in[0]) < min(i for i, s in enumerate(scripts) if pulumi_commands(s))
        assert_release_order([c for s in scripts for c in pulumi_commands(s)], gate=name == "go-live")


def test_azure_pipelines_structure() -> None:
    assert_no_machine_details(PIPELINES_FILE)
    pipeline = _load(PIPELINES_FILE)
    assert pipeline["trigger"] == "none"
    assert {p["name"]: p["type"] for p in pipeline["parameters"]} == {"offerVersion": "string", "goLive": "boolean"}
    variables = {v["name"]: v["value"] for v in pipeline["variables"] if "name" in v}
    assert re.fullmatch(r"azblob://\$\(\w+\)", variables["PULUMI_BACKEND_URL"])
    assert "AZURE_STORAGE_ACCOUNT" in variables
    stages = pipeline["stages"]
    assert [s["stage"] for s in stages] == ["Publish", "GoLive"]
    assert "${{ parameters.goLive }}" in stages[1]["condition"] and stages[1]["dependsOn"] == "Publish"
    [deployment] = stages[1]["jobs"]
    assert deployment["environment"]  # the approval check is the environment's
    for stage, steps in (("Publish", stages[0]["jobs"][0]["steps"]), ("GoLive", _deploy_steps(deployment))):
        [task] = [s for s in steps if s.get("task") == "AzureCLI@2"]
        inputs = task["inputs"]
        assert inputs["addSpnToEnvironment"] is True and inputs["scriptType"] == "bash"
        script = inputs["inlineScript"]
        for needed in ('printf \'%s\' "$idToken"', 'AZURE_FEDERATED_TOKEN_FILE="$token_file"',
                       'AZURE_CLIENT_ID="$servicePrincipalId"', 'AZURE_TENANT_ID="$tenantId"'):
            assert needed in script, (stage, needed)
        assert "SYSTEM_OIDCREQUESTURI" in script and task["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
        assert_release_order(pulumi_commands(script), gate=stage == "GoLive")


def _deploy_steps(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = deployment["strategy"]["runOnce"]["deploy"]["steps"]
    return steps


# ---- running the files ---------------------------------------------------------------------------------------------

@dataclass
class Command:
    """One `pulumi` invocation seen by the wrapper: its arguments and the simulator requests it caused."""
    args: str
    sim_from: int
    sim_to: int = -1
    exchanges_from: int = 0
    exchanges_to: int = 0


@dataclass
class Harness:
    """The loopback services a CI runner and Entra would be, the simulator, and what the steps did."""
    sim: Simulator
    identity: TokenEndpoint
    url: str = ""
    assertions: list[str] = field(default_factory=list)  # issued by the OIDC token services
    commands: list[Command] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # every step's stdout and stderr

    def issue(self) -> str:
        assertion = f"oidc/{secrets.token_urlsafe(24)}+{secrets.token_hex(4)}"  # opaque: only the value can match
        self.identity.accept_assertion(assertion)
        self.assertions.append(assertion)
        return assertion


class CiServices(LoopbackServer):
    """GitHub's and Azure DevOps' OIDC token services, and the wrapper's checkpoints, on loopback HTTP."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        super().__init__(self._handler())
        harness.url = self.url

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        harness = self.harness

        class Handler(JsonHandler):
            def do_GET(self) -> None:  # GitHub: ?api-version=2.0&audience=..., "bearer <request token>"
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if (parts.path != "/github/token" or query.get("audience") != ["api://AzureADTokenExchange"]
                        or self.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}"):
                    self._answer(401, {"message": "refused"})
                    return
                self._answer(200, {"count": 1, "value": harness.issue()})

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if parts.path == "/checkpoint/start":
                    args = parse_qs(body).get("args", [""])[0]
                    harness.commands.append(Command(args, len(harness.sim.requests),
                                                    exchanges_from=len(harness.identity.issued)))
                    self._answer(200, {})
                elif parts.path == "/checkpoint/end":
                    harness.commands[-1].sim_to = len(harness.sim.requests)
                    harness.commands[-1].exchanges_to = len(harness.identity.issued)
                    self._answer(200, {})
                elif (parts.path == "/ado/oidctoken"
                      and parse_qs(parts.query).get("serviceConnectionId") == [SERVICE_CONNECTION_ID]
                      and self.headers.get("Authorization") == f"Bearer {SYSTEM_ACCESS_TOKEN}"):
                    self._answer(200, {"oidcToken": harness.issue()})
                else:
                    self._answer(401, {"message": "refused"})

        return Handler


WRAPPER = """#!/usr/bin/env bash
# The test's `pulumi`: tells the test when a command starts and ends, and runs the real CLI in between.
curl --silent --fail --output /dev/null --data-urlencode "args=$*" "$CI_TEST_URL/checkpoint/start" || exit 97
"$CI_TEST_PULUMI" "$@"
status=$?
curl --silent --fail --output /dev/null --data "" "$CI_TEST_URL/checkpoint/end" || exit 97
exit $status
"""


class Runner:
    """Runs the steps of one CI file in ``workspace``, as its runner would."""

    def __init__(self, tmp_path: Path, pulumi_bin: Path, harness: Harness, engine_version: str) -> None:
        self.tmp, self.harness, self.engine_version = tmp_path, harness, engine_version
        self.workspace = tmp_path / "workspace"
        self.runner_temp = tmp_path / "runner-temp"
        self.runner_temp.mkdir()
        wrapper_dir = tmp_path / "wrapper"
        wrapper_dir.mkdir()
        (wrapper_dir / "pulumi").write_text(WRAPPER)
        (wrapper_dir / "pulumi").chmod(0o755)
        bundle = tmp_path / "ca-bundle.pem"  # the roots trusted here (pip in `pulumi install` reaches PyPI) + ours
        bundle.write_text(Path(trusted_roots()).read_text() + harness.identity.ca_file.read_text())
        state = tmp_path / "state"
        state.mkdir()
        self.state = state
        ambient = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not any(Path(p).glob("pulumi*"))]
        self.base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CPP_", "AZURE_"))}
        self.base_env.update({
            "PATH": os.pathsep.join([str(wrapper_dir), str(pulumi_bin), *ambient]),
            "CI_TEST_URL": harness.url, "CI_TEST_PULUMI": str(pulumi_bin / "pulumi"),
            "PULUMI_HOME": str(tmp_path / "pulumi-home"), "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "AZURE_AUTHORITY_HOST": harness.identity.url,
            "REQUESTS_CA_BUNDLE": str(bundle), "SSL_CERT_FILE": str(bundle),
        })
        self.groups: list[int] = []
        self.last_env: dict[str, str] = {}
        self.last_cwd = self.workspace

    def backend(self, url: str) -> str:
        assert re.fullmatch(r"azblob://[\w-]+", url), url
        return self.state.as_uri()  # the azblob container, replaced by a directory (see the module docstring)

    def checkout(self, project_dir: str) -> Path:
        project = self.workspace / project_dir
        if not project.exists():  # a job after the first finds the same workspace (and the venv it made)
            project.mkdir(parents=True)
            for name in ("Pulumi.yaml", "__main__.py", "requirements.txt"):
                text = (ROOT / "examples" / "python" / name).read_text()
                (project / name).write_text(re.sub(r"(-e\s+)\.\./\.\.", rf"\g<1>{ROOT}", text))
            (project / f"Pulumi.{STACK}.yaml").write_text(
                "config:\n  cpp-golive-example:publisherId: contoso\n  cpp-golive-example:offerId: vm1\n"
                f"  cpp-golive:baseUrl: {self.harness.sim.url}\n  cpp-golive:pollInterval: \"0.5\"\n")
        return project

    def check_python(self, version: str) -> None:
        done = subprocess.run(["python3", "--version"], env=self.base_env, capture_output=True, text=True,
                              check=True)
        assert done.stdout.split()[1].startswith(version + "."), f"python3 is {done.stdout.strip()}, not {version}"

    def check_pulumi(self, version: str) -> None:
        assert version == self.engine_version, f"the file pins Pulumi {version}; this suite's engine is " \
                                               f"{self.engine_version}"

    def bash(self, script: str, cwd: Path, env: dict[str, str], what: str) -> None:
        self.last_env, self.last_cwd = {**self.base_env, **env}, cwd
        path = self.tmp / f"step-{len(self.groups)}.sh"
        path.write_text(script)
        proc = subprocess.Popen(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)], cwd=cwd,
                                env={**self.base_env, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        self.groups.append(proc.pid)  # its own process group: a refresher left running is ended with it
        out, err = proc.communicate(timeout=STEP_TIMEOUT)
        self.harness.outputs.append(out + err)
        assert proc.returncode == 0, f"step {what!r} exited {proc.returncode}:\n{out[-4000:]}\n{err[-4000:]}"

    def outputs(self) -> dict[str, Any]:
        """The stack's outputs, read with the environment of the last step (the CI's backend and passphrase)."""
        env = {**self.last_env, "PATH": self.last_env["PATH"].split(os.pathsep, 1)[1]}  # the real CLI, no wrapper
        done = subprocess.run(["pulumi", "stack", "output", "--json", "--stack", STACK], cwd=self.last_cwd, env=env,
                              capture_output=True, text=True, timeout=120, check=True)
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def close(self) -> None:
        for group in self.groups:
            try:
                os.killpg(group, signal.SIGTERM)
            except ProcessLookupError:
                pass


def trusted_roots() -> str:
    """The CA file this machine's clients trust already (a CI runner's own roots, in the same settings)."""
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        if os.environ.get(name) and Path(os.environ[name]).is_file():
            return os.environ[name]
    return ssl.get_default_verify_paths().cafile or certifi.where()


def substitute(text: str, pattern: re.Pattern[str], values: Callable[[str], Optional[str]]) -> str:
    def one(match: re.Match[str]) -> str:
        value = values(match.group(1))
        if value is None:
            raise AssertionError(f"the test has no value for {match.group(0)!r}")
        return value
    return pattern.sub(one, text)


# ---- GitHub Actions -------------------------------------------------------------------------------------------------

GITHUB_CONTEXT = {
    "vars.PULUMI_STATE_CONTAINER": "pulumi-state", "vars.PULUMI_STATE_ACCOUNT": "contosostate",
    "vars.AZURE_CLIENT_ID": CLIENT_ID, "vars.AZURE_TENANT_ID": TENANT, "vars.PULUMI_STACK": STACK,
    "secrets.PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "inputs.offer_version": OFFER_VERSION, "inputs.go_live": "true",
}


def run_github_job(runner: Runner, workflow: dict[str, Any], name: str) -> None:
    env: dict[str, str] = {}

    def context(expression: str) -> Optional[str]:
        if expression.startswith("env."):
            return env.get(expression[4:])
        return GITHUB_CONTEXT.get(expression)

    def expand(value: Any) -> str:
        return substitute(str(value), EXPRESSION, context)

    job = workflow["jobs"][name]
    for key, value in {**workflow.get("env", {}), **job.get("env", {})}.items():
        env[key] = expand(value)
    env["PULUMI_BACKEND_URL"] = runner.backend(env["PULUMI_BACKEND_URL"])
    if "if" in job:
        assert expand(job["if"]) == "true", f"job {name} would not run"
    github_env = runner.tmp / f"github-env-{name}"
    github_env.write_text("")
    runner_env = {"RUNNER_TEMP": str(runner.runner_temp), "GITHUB_ENV": str(github_env), "CI": "true",
                  "ACTIONS_ID_TOKEN_REQUEST_URL": f"{runner.harness.url}/github/token?api-version=2.0",
                  "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN}
    project_dir = expand(job.get("defaults", {}).get("run", {}).get("working-directory", "."))
    for step in job["steps"]:
        action = step.get("uses")
        if action == "actions/checkout@v4":
            runner.checkout(project_dir)
        elif action == "actions/setup-python@v5":
            runner.check_python(str(step["with"]["python-version"]))
        elif action == "pulumi/actions@v6" and set(step.get("with", {})) == {"pulumi-version"}:
            runner.check_pulumi(str(step["with"]["pulumi-version"]))
        elif action is not None:
            raise AssertionError(f"the test cannot run the action {action!r}")
        else:
            added = dict(line.split("=", 1) for line in github_env.read_text().splitlines() if line)
            step_env = {k: expand(v) for k, v in step.get("env", {}).items()}
            cwd = runner.workspace / expand(step.get("working-directory", project_dir))
            runner.bash(step["run"], cwd, {**env, **runner_env, **added, **step_env}, step.get("name", step["run"]))


# ---- Azure Pipelines ------------------------------------------------------------------------------------------------

PIPELINE_GROUP = {"pulumiStateAccount": "contosostate", "pulumiStateContainer": "pulumi-state",
                  "pulumiStack": STACK, "serviceConnectionId": SERVICE_CONNECTION_ID}
PIPELINE_SECRETS = {"pulumiConfigPassphrase": PASSPHRASE, "System.AccessToken": SYSTEM_ACCESS_TOKEN}
PIPELINE_PARAMETERS = {"parameters.offerVersion": OFFER_VERSION, "parameters.goLive": "True"}


def pipeline_variables(pipeline: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for entry in pipeline["variables"]:
        if "group" in entry:
            assert entry["group"] == "marketplace-release", entry
            values.update(PIPELINE_GROUP)
        else:
            value = substitute(str(entry["value"]), EXPRESSION, PIPELINE_PARAMETERS.get)
            values[entry["name"]] = substitute(value, MACRO, values.get)
    return values


def run_pipeline_steps(runner: Runner, pipeline: dict[str, Any], steps: list[dict[str, Any]]) -> None:
    variables = pipeline_variables(pipeline)
    macro = {**variables, **PIPELINE_SECRETS}.get
    env = {name.upper().replace(".", "_"): value for name, value in variables.items()}  # how agents expose them
    env["PULUMI_BACKEND_URL"] = runner.backend(env["PULUMI_BACKEND_URL"])
    agent_env = {"AGENT_TEMPDIRECTORY": str(runner.runner_temp), "TF_BUILD": "True",
                 "SYSTEM_OIDCREQUESTURI": f"{runner.harness.url}/ado/oidctoken"}
    project = runner.workspace
    for step in steps:
        if step.get("checkout") == "self":
            project = runner.checkout(variables["projectDir"])
        elif step.get("task") == "UsePythonVersion@0":
            runner.check_python(str(step["inputs"]["versionSpec"]))
        elif "script" in step and step.get("displayName") == "Install the Pulumi CLI":
            assert "https://get.pulumi.com" in step["script"] and '--version "$(pulumiVersion)"' in step["script"]
            runner.check_pulumi(variables["pulumiVersion"])
        elif step.get("task") == "AzureCLI@2":
            inputs = step["inputs"]
            assert inputs["scriptLocation"] == "inlineScript" and inputs["addSpnToEnvironment"] is True
            # What the task gives its script from the workload-identity service connection.
            spn = {"servicePrincipalId": CLIENT_ID, "tenantId": TENANT, "idToken": runner.harness.issue()}
            step_env = {k: substitute(str(v), MACRO, macro) for k, v in step.get("env", {}).items()}
            cwd = runner.workspace / substitute(inputs["workingDirectory"], MACRO, macro)
            assert cwd == project
            runner.bash(substitute(inputs["inlineScript"], MACRO, macro), cwd, {**env, **agent_env, **spn, **step_env},
                        step.get("displayName", "AzureCLI@2"))
        else:
            raise AssertionError(f"the test cannot run the step {step!r}")


# ---- the runs -------------------------------------------------------------------------------------------------------

@pytest.fixture
def harness(sim: Simulator, tmp_path: Path) -> Any:
    (tmp_path / "identity").mkdir()
    with TokenEndpoint(tmp_path / "identity", tenant_id=TENANT, client_id=CLIENT_ID) as identity:
        identity.on_issue = lambda token: setattr(sim.config, "tokens", {token})  # only the newest is accepted
        sim.config.token = ""  # no static token works: every request needs one issued for a federated assertion
        made = Harness(sim, identity)
        with CiServices(made):
            yield made


def engine_version(pulumi_bin: Path) -> str:
    done = subprocess.run([str(pulumi_bin / "pulumi"), "version"], capture_output=True, text=True, check=True,
                          env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"})
    return done.stdout.strip().lstrip("v")


def assert_outcome(harness: Harness, written: list[list[str]], tmp_path: Path) -> None:
    """``written``: the `pulumi` commands of each job as the file has them; the jobs ran in order, then the last
    job once more (a rerun)."""
    run = [c.args for c in harness.commands]
    expected = [c for job in written for c in job] + written[-1]
    assert [subcommand(c) for c in run] == [subcommand(c) for c in expected], run
    requests = harness.sim.requests

    def sent(command: Command) -> list[str]:
        return [f"{r.method} {r.path}" for r in requests[command.sim_from:command.sim_to]]

    first_job, second_job, rerun = (harness.commands[:len(written[0])],
                                    harness.commands[len(written[0]):len(written[0]) + len(written[1])],
                                    harness.commands[len(written[0]) + len(written[1]):])
    for command in harness.commands:
        if subcommand(command.args) != "up":
            assert sent(command) == [], f"`pulumi {command.args}` sent {sent(command)}"  # preview included
            assert command.exchanges_to == command.exchanges_from, f"`pulumi {command.args}` signed in"
    [publish_up] = [c for c in first_job if subcommand(c.args) == "up"]
    [golive_up] = [c for c in second_job if subcommand(c.args) == "up"]
    [rerun_up] = [c for c in rerun if subcommand(c.args) == "up"]
    posted = {name: [r for r in sent(c) if r.startswith("POST")] for name, c in (("publish", publish_up),
                                                                                  ("go-live", golive_up))}
    assert len(posted["publish"]) == 1 and posted["publish"][0].endswith("/offers/vm1/publish"), posted
    assert len(posted["go-live"]) == 1 and posted["go-live"][0].endswith("/offers/vm1/golive"), posted
    assert sent(rerun_up) == []  # everything recorded: the rerun sends nothing
    assert publish_up.exchanges_to > publish_up.exchanges_from and golive_up.exchanges_to > golive_up.exchanges_from
    assert harness.sim.count("POST") == 2 and all(r.authorization_ok for r in requests)
    identity = harness.identity
    assert identity.refused == 0 and sum(identity.assertion_uses.values()) == len(identity.issued) >= 2
    assert set(identity.assertion_uses) <= set(harness.assertions)  # only assertions the CI services issued
    token_file = tmp_path / "runner-temp" / "azure-federated-token"
    assert token_file.read_text() in harness.assertions  # the token alone: no newline, no JSON
    secret_values = [*harness.assertions, *identity.issued, REQUEST_TOKEN, SYSTEM_ACCESS_TOKEN]
    state = "\n".join(p.read_text(errors="replace") for p in (tmp_path / "state").rglob("*") if p.is_file())
    for value in secret_values:
        for where, text in {"step output": "\n".join(harness.outputs), "state": state}.items():
            assert value not in text, f"a secret ({value[:6]}...) leaked into the {where}"


def test_github_actions_workflow_runs(harness: Harness, pulumi_bin: Path, tmp_path: Path) -> None:
    workflow = _load(GITHUB_FILE)
    runner = Runner(tmp_path, pulumi_bin, harness, engine_version(pulumi_bin))
    try:
        for job in ("publish", "go-live", "go-live"):  # the go-live job once more: a rerun
            run_github_job(runner, workflow, job)
    finally:
        runner.close()
    written = [[c for step in workflow["jobs"][job]["steps"] if "run" in step for c in pulumi_commands(step["run"])]
               for job in ("publish", "go-live")]
    assert_outcome(harness, written, tmp_path)
    assert len(harness.assertions) == 3  # one OIDC token per job (the refreshers did not fire in this short run)
    outputs = runner.outputs()
    assert outputs["publish_status"] == "succeeded" and outputs["status"] == "succeeded", outputs


def test_azure_pipelines_runs(harness: Harness, pulumi_bin: Path, tmp_path: Path) -> None:
    pipeline = _load(PIPELINES_FILE)
    publish_steps = pipeline["stages"][0]["jobs"][0]["steps"]
    golive_steps = _deploy_steps(pipeline["stages"][1]["jobs"][0])
    runner = Runner(tmp_path, pulumi_bin, harness, engine_version(pulumi_bin))
    try:
        for steps in (publish_steps, golive_steps, golive_steps):  # the GoLive stage once more: a rerun
            run_pipeline_steps(runner, pipeline, steps)
    finally:
        runner.close()
    written = [pulumi_commands(next(s for s in steps if s.get("task") == "AzureCLI@2")["inputs"]["inlineScript"])
               for steps in (publish_steps, golive_steps)]
    assert_outcome(harness, written, tmp_path)
    assert len(harness.assertions) == 3  # one idToken per AzureCLI@2 task
    outputs = runner.outputs()
    assert outputs["publish_status"] == "succeeded" and outputs["status"] == "succeeded", outputs
