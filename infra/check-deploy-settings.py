#!/usr/bin/env python3
"""The workflows (deploy.yml, publish.yml), infra/deploy-settings.py and
infra/template.yaml agree, and the settings check answers as it should.
Offline; infra/check.sh runs it with the infra tools' Python (PyYAML).

- Every template parameter without a Default is passed by the workflow's
  `sam deploy --parameter-overrides` (the workflow's environment, as the
  deploy job gives it, run through `deploy-settings.py overrides`), and every
  parameter passed exists in the template; every parameter with a Default
  has its optional variable. Before `sam deploy` the job stamps the
  packages with the settings' digest (`deploy-settings.py stamp`), which
  changes with any setting and with nothing else. A setting read from
  agora.yaml (`from_agora`) reaches sam deploy from an earlier step that
  runs its `agora` command, never from a repository variable.
- Each job that touches AWS (deploy.yml's deploy and staging, publish.yml's
  publish) checks its settings first, and gets each one from `vars.NAME` or
  `secrets.NAME` as the table says (a retired one too, which the check
  refuses while it is set); publish.yml finds the deployed commit by
  deploy.yml's job `deploy`.
- Every build that reaches the bucket has what the staff workspace
  published pulled in first: each of those jobs publishes with
  infra/rebuild-site.sh (given the stack's table), never with
  publish-site.py alone. deploy and staging put the site kit in place
  (infra/upload-site-kit.sh) after sam deploy and before that; their agora
  is built on Ubuntu 22.04, whose glibc the publishing build's image has.
- Production and staging stay apart: deploy and publish run in the
  environment `production`, from main only; staging runs in the
  environment `staging`, never for a pull request from a fork, in a
  concurrency group of its own, and builds the site for its own domain.
- The comment at the top of deploy.yml and infra/README.md name every
  setting.
- `deploy-settings.py check`: the staging job refuses a stack whose name
  does not say staging, the others one whose name does; it passes with
  everything set; with one missing it
  exits non-zero and names that one (and no other); with all missing it
  names them all at once; a setting with a fixed set of values (the
  parameter's AllowedValues) passes with each and fails, naming it, with
  any other.
"""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
PUBLISH_WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
README = ROOT / "infra" / "README.md"
SETTINGS_SCRIPT = ROOT / "infra" / "deploy-settings.py"

problems = []


def problem(text):
    problems.append(text)


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (!Ref, !If, …) as plain values."""


CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_settings():
    spec = importlib.util.spec_from_file_location("deploy_settings", SETTINGS_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def job_env(job, step):
    env = dict(job.get("env") or {})
    env.update(step.get("env") or {})
    return env


def steps_running(job, text):
    return [s for s in job.get("steps") or [] if text in (s.get("run") or "")]


def expected_source(setting):
    return "${{ secrets.%s }}" % setting.name if setting.secret else "${{ vars.%s }}" % setting.name


# How a step's output is written in a workflow: its step's id.
STEP_OUTPUT = re.compile(r"^\$\{\{ steps\.([\w-]+)\.outputs\.[\w-]+ \}\}$")

# The Ubuntu whose glibc the publishing build's image has (infra/upload-site-kit.sh).
KIT_RUNNER = "ubuntu-22.04"


def dummy(setting, job="deploy"):
    """A value of the right form for each setting, for the simulated deploy."""
    if setting.name == "AWS_STACK_NAME":
        return "agora-staging" if job == "staging" else "agora"
    if setting.choices:
        return setting.choices[-1]
    if setting.name.endswith("_CONCURRENCY"):
        return "20"
    if setting.name.endswith("_ADDRESS"):
        return "someone@example.org"
    return f"dummy-{setting.name.lower()}"


def check_template_and_table(ds, parameters):
    by_parameter = {s.parameter: s for s in ds.SETTINGS if s.parameter}
    for name, spec in parameters.items():
        setting = by_parameter.get(name)
        if setting is None:
            problem(f"template parameter {name} has no repository variable: add one to SETTINGS in infra/deploy-settings.py")
        elif "Default" not in spec and "deploy" not in setting.needed_by:
            problem(f"template parameter {name} has no Default, so {setting.name} must be required for the deploy job")
        elif "Default" in spec and setting.needed_by:
            problem(f"template parameter {name} has a Default, so {setting.name} should be optional")
        if setting is not None and set(spec.get("AllowedValues") or ()) != set(setting.choices):
            problem(f"template parameter {name} allows {spec.get('AllowedValues')}, "
                    f"but infra/deploy-settings.py's {setting.name} allows {list(setting.choices)}")
    for name in by_parameter:
        if name not in parameters:
            problem(f"infra/deploy-settings.py passes {name}, which infra/template.yaml does not declare")


def check_job(ds, jobs, job_name):
    job = jobs.get(job_name)
    if not job:
        problem(f"the workflow has no `{job_name}` job")
        return None
    checks = steps_running(job, f"deploy-settings.py check {job_name}")
    if not checks:
        problem(f"the {job_name} job does not run `infra/deploy-settings.py check {job_name}`")
        return job
    steps = job.get("steps") or []
    first_aws = next((i for i, s in enumerate(steps) if "configure-aws-credentials" in (s.get("uses") or "")), None)
    if first_aws is not None and steps.index(checks[0]) > first_aws:
        problem(f"the {job_name} job checks its settings after it has AWS credentials")
    env = job_env(job, checks[0])
    for s in ds.SETTINGS:
        wanted = job_name in s.needed_by or (job_name in ("deploy", "staging") and s.parameter)
        if wanted and env.get(s.name) != expected_source(s):
            problem(f"the {job_name} job's settings check does not get {s.name} as {expected_source(s)} "
                    f"(it has {env.get(s.name)!r})")
    check_publishing(job, job_name)
    return job


def check_publishing(job, job_name):
    """The job publishes through infra/rebuild-site.sh, which pulls what
    the staff workspace published before it builds; nothing else uploads."""
    rebuilds = steps_running(job, "infra/rebuild-site.sh")
    if len(rebuilds) != 1:
        problem(f"the {job_name} job should publish the site in one step with infra/rebuild-site.sh, which pulls "
                f"what the staff workspace published first (found {len(rebuilds)})")
        return
    run = rebuilds[0]["run"]
    if "AGORA_TABLE=" not in run or "OutputKey=='TableName'" not in run:
        problem(f"the {job_name} job does not give infra/rebuild-site.sh the stack's table "
                "(AGORA_TABLE from the output TableName)")
    if job_env(job, rebuilds[0]).get("AGORA_DOMAIN") != "${{ vars.AGORA_DOMAIN }}":
        problem(f"the {job_name} job's infra/rebuild-site.sh does not build for its own AGORA_DOMAIN")
    direct = [s for s in steps_running(job, "publish-site.py") if s is not rebuilds[0]]
    if direct or "publish-site.py" in run:
        problem(f"the {job_name} job runs publish-site.py itself: its upload would take the published files "
                "off the site (publish with infra/rebuild-site.sh)")


def check_site_kit(jobs):
    """deploy and staging upload the kit after sam deploy and before the
    site, with the agora built on the kit image's Ubuntu."""
    builders = [name for name, job in jobs.items()
                if any("upload-artifact" in (s.get("uses") or "") and (s.get("with") or {}).get("name") == "agora"
                       for s in job.get("steps") or [])]
    if len(builders) != 1:
        problem(f"deploy.yml should build agora in one job, uploaded as the artifact `agora` (found {builders})")
        return
    if jobs[builders[0]].get("runs-on") != KIT_RUNNER:
        problem(f"the job {builders[0]} builds agora on {jobs[builders[0]].get('runs-on')}, not {KIT_RUNNER}: "
                "the publishing build's image has glibc 2.35, and infra/upload-site-kit.sh refuses a newer one")
    for name in ("deploy", "staging"):
        job = jobs.get(name) or {}
        if builders[0] not in (job.get("needs") or []):
            problem(f"the {name} job does not need the job {builders[0]}, which builds its agora")
        steps = job.get("steps") or []
        order = [next((i for i, s in enumerate(steps) if text in (s.get("run") or "")), None)
                 for text in ("sam deploy \\", "infra/upload-site-kit.sh", "infra/rebuild-site.sh")]
        if None in order or order != sorted(order):
            problem(f"the {name} job should run sam deploy, then infra/upload-site-kit.sh, then "
                    "infra/rebuild-site.sh (the kit of the deployed commit, before its site)")


def check_environments(jobs, publish_jobs):
    """Production's jobs in production, from main; staging's in staging,
    never for a fork's pull request, with a site built for its domain."""
    deploy, staging, publish = jobs.get("deploy") or {}, jobs.get("staging") or {}, publish_jobs.get("publish") or {}
    for name, job, wanted in (("deploy", deploy, "production"), ("publish", publish, "production"),
                              ("staging", staging, "staging")):
        if job.get("environment") != wanted:
            problem(f"the {name} job runs in the environment {job.get('environment')!r}, not {wanted!r}")
    for name, job in (("deploy", deploy), ("publish", publish)):
        if "github.ref == 'refs/heads/main'" not in str(job.get("if") or ""):
            problem(f"the {name} job does not run from main only (its `if`)")
    condition = " ".join(str(staging.get("if") or "").split())
    if "github.event.pull_request.head.repo.full_name == github.repository" not in condition:
        problem("the staging job does not refuse pull requests from forks "
                "(github.event.pull_request.head.repo.full_name == github.repository)")
    if "refs/heads/main" in condition:
        problem("the staging job's `if` names main: staging deploys any branch of this repository")
    group = (staging.get("concurrency") or {}).get("group")
    if not group or group == (deploy.get("concurrency") or {}).get("group"):
        problem("the staging job has no concurrency group of its own")


def check_sam_deploy(ds, job, parameters, job_name="deploy"):
    steps = steps_running(job, "sam deploy")
    if len(steps) != 1:
        problem(f"the {job_name} job should run `sam deploy` in one step (found {len(steps)})")
        return
    step = steps[0]
    run = step["run"]
    for flag in ("--stack-name", "--region", "--capabilities CAPABILITY_IAM", "--parameter-overrides",
                 "--no-fail-on-empty-changeset", "--no-confirm-changeset"):
        if flag not in run:
            problem(f"the {job_name} job's sam deploy lacks {flag}")
    if "--resolve-s3" not in run and "--s3-bucket" not in run:
        problem(f"the {job_name} job's sam deploy names no artifact bucket (--resolve-s3 or --s3-bucket)")
    if "deploy-settings.py overrides" not in run:
        problem(f"the {job_name} job's --parameter-overrides do not come from `infra/deploy-settings.py overrides`")
        return
    stamp = "deploy-settings.py stamp ../target/lambda-package"
    if stamp not in run or run.index(stamp) > run.index("sam deploy \\"):
        problem(f"the {job_name} job does not run `{stamp}` before sam deploy (a changed setting "
                "would not reach the functions' aliases)")
    by_source = {expected_source(s): s for s in ds.SETTINGS}
    by_source.update(read_from_agora(ds, job, step, job_name))
    # Simulate the deploy: the environment the step gets, every variable
    # set, through the same script.
    env = {"PATH": os.environ.get("PATH", "")}
    for name, source in job_env(job, step).items():
        if source in by_source:
            env[name] = dummy(by_source[source], job_name)
    run_overrides = subprocess.run([sys.executable, str(SETTINGS_SCRIPT), "overrides"], env=env,
                                   text=True, capture_output=True)
    if run_overrides.returncode != 0:
        problem(f"`deploy-settings.py overrides` fails with the {job_name} job's environment: {run_overrides.stderr.strip()}")
        return
    passed = {line.split("=", 1)[0] for line in run_overrides.stdout.splitlines() if line}
    for name, spec in parameters.items():
        if "Default" not in spec and name not in passed:
            problem(f"template parameter {name} has no Default, but the {job_name} job's sam deploy does not pass it")
        if "Default" in spec and name not in passed:
            problem(f"the {job_name} job cannot set template parameter {name}: its variable does not reach sam deploy")
    for name in passed - set(parameters):
        problem(f"the {job_name} job's sam deploy passes {name}, which infra/template.yaml does not declare")


def read_from_agora(ds, job, sam_step, job_name):
    """Each setting read from agora.yaml reaches sam deploy as the output of
    an earlier step that runs its `agora` command, and no repository
    variable of its name reaches it. Its source, for the simulation."""
    sources = {}
    steps = job.get("steps") or []
    for s in [s for s in ds.SETTINGS if s.from_agora]:
        if (job.get("env") or {}).get(s.name):
            problem(f"the {job_name} job's env gives {s.name}, which comes from `{s.from_agora}` alone")
        source = (sam_step.get("env") or {}).get(s.name) or ""
        match = STEP_OUTPUT.match(source)
        origin = next((i for i, o in enumerate(steps) if match and o.get("id") == match.group(1)), None)
        command = s.from_agora.removeprefix("agora ")
        if origin is None or command not in (steps[origin].get("run") or "") or origin > steps.index(sam_step):
            problem(f"the {job_name} job's sam deploy does not get {s.name} from an earlier step that runs "
                    f"`{s.from_agora}` (it has {source!r}): agora.yaml is its one source")
            continue
        sources[source] = s
    return sources


def check_docs(ds):
    text = WORKFLOW.read_text(encoding="utf-8")
    header = text[: text.index("\nname:")]
    readme = README.read_text(encoding="utf-8")
    for s in ds.SETTINGS:
        if not re.search(rf"\b{s.name}\b", header):
            problem(f"the comment at the top of .github/workflows/deploy.yml does not list {s.name}")
        if not re.search(rf"\b{s.name}\b", readme):
            problem(f"infra/README.md does not mention {s.name}")


def run_check(job, env):
    env = dict(env, PATH=os.environ.get("PATH", ""))
    return subprocess.run([sys.executable, str(SETTINGS_SCRIPT), "check", job], env=env,
                          text=True, capture_output=True)


def named(output, name):
    return any(line.startswith("::error") and f"::{name} is not set" in line for line in output.splitlines())


def named_wrong(output, name):
    return any(line.startswith("::error") and f"::{name} is '" in line for line in output.splitlines())


def named_retired(output, name):
    return any(line.startswith(f"::error title=Retired repository variable {name}::") for line in output.splitlines())


def check_stamp(ds):
    """`stamp` writes the same digest into every package, the same again for
    the same settings, another when a setting changes; it refuses a folder
    without packages."""
    base = {s.name: dummy(s) for s in ds.SETTINGS if "deploy" in s.needed_by}
    changed = dict(base, AGORA_SENDER_ADDRESS="someone-else@example.org")
    with tempfile.TemporaryDirectory() as folder:
        packages = pathlib.Path(folder)
        for name in ("register", "status"):
            (packages / name).mkdir()
            (packages / name / "bootstrap").write_text("binary", encoding="utf-8")
        (packages / "not-a-package").mkdir()

        def run(env):
            result = subprocess.run([sys.executable, str(SETTINGS_SCRIPT), "stamp", folder],
                                    env=dict(env, PATH=os.environ.get("PATH", "")), text=True, capture_output=True)
            digests = {(packages / n / ds.STAMP).read_text(encoding="utf-8") for n in ("register", "status")
                       if (packages / n / ds.STAMP).is_file()}
            return result.returncode, digests

        first, again, other = run(base), run(base), run(changed)
        if first[0] != 0 or len(first[1]) != 1:
            problem(f"`stamp` does not write one digest into every package: {first}")
        if again != first:
            problem(f"`stamp` writes another digest for the same settings: {first} then {again}")
        if other[0] != 0 or other[1] == first[1]:
            problem(f"`stamp` writes the same digest after AGORA_SENDER_ADDRESS changed: {other}")
        if (packages / "not-a-package" / ds.STAMP).exists():
            problem("`stamp` wrote into a folder that holds no bootstrap")
    with tempfile.TemporaryDirectory() as empty:
        result = subprocess.run([sys.executable, str(SETTINGS_SCRIPT), "stamp", empty],
                                env=dict(base, PATH=os.environ.get("PATH", "")), text=True, capture_output=True)
        if result.returncode == 0:
            problem("`stamp` passes on a folder without function packages")
    return 4


def check_behaviour(ds):
    tested = 0
    for job in ds.JOBS:
        needed = [s for s in ds.SETTINGS if job in s.needed_by]
        full = {s.name: dummy(s, job) for s in needed}
        result = run_check(job, full)
        if result.returncode != 0 or "::error" in result.stdout:
            problem(f"`check {job}` fails with every setting set: {result.stdout}{result.stderr}")
        for s in needed:
            for gone in ({k: v for k, v in full.items() if k != s.name}, dict(full, **{s.name: "  "})):
                result = run_check(job, gone)
                others = [o.name for o in needed if o is not s and named(result.stdout, o.name)]
                if result.returncode == 0 or not named(result.stdout, s.name) or others:
                    problem(f"`check {job}` without {s.name}: exit {result.returncode}, "
                            f"names it: {named(result.stdout, s.name)}, names others: {others}")
                tested += 1
        result = run_check(job, {})
        unnamed = [s.name for s in needed if not named(result.stdout, s.name)]
        if result.returncode == 0 or unnamed:
            problem(f"`check {job}` with nothing set: exit {result.returncode}, does not name {unnamed}")
        if "Settings → Secrets and variables → Actions" not in result.stdout:
            problem(f"`check {job}` does not say where to set what is missing")
    base = {s.name: dummy(s) for s in ds.SETTINGS if "deploy" in s.needed_by}
    # A setting with a fixed set of values: each passes, anything else fails
    # and is named, in every job and in `overrides`.
    for s in [s for s in ds.SETTINGS if s.choices]:
        for job in ds.JOBS:
            full = {o.name: dummy(o, job) for o in ds.SETTINGS if job in o.needed_by}
            for good in s.choices:
                result = run_check(job, dict(full, **{s.name: good}))
                if result.returncode != 0:
                    problem(f"`check {job}` fails with {s.name}={good}: {result.stdout}{result.stderr}")
                tested += 1
            result = run_check(job, dict(full, **{s.name: "maybe"}))
            others = [o.name for o in ds.SETTINGS if o is not s and (named(result.stdout, o.name) or named_wrong(result.stdout, o.name))]
            if result.returncode == 0 or not named_wrong(result.stdout, s.name) or others:
                problem(f"`check {job}` with {s.name}=maybe: exit {result.returncode}, "
                        f"names it: {named_wrong(result.stdout, s.name)}, names others: {others}")
            tested += 1
        env = dict(base, PATH=os.environ.get("PATH", ""), **{s.name: "maybe"})
        wrong = subprocess.run([sys.executable, str(SETTINGS_SCRIPT), "overrides"], env=env, text=True, capture_output=True)
        if wrong.returncode == 0 or s.name not in wrong.stderr:
            problem(f"`overrides` with {s.name}=maybe: exit {wrong.returncode}, {wrong.stderr.strip()!r}")
    optional = [s for s in ds.SETTINGS if s.parameter and not s.needed_by]
    given = {s.name: s.choices[-1] if s.choices else "7" for s in optional}
    env = dict(base, PATH=os.environ.get("PATH", ""))
    unset = subprocess.run([sys.executable, str(SETTINGS_SCRIPT), "overrides"], env=env, text=True, capture_output=True)
    env.update(given)
    some = subprocess.run([sys.executable, str(SETTINGS_SCRIPT), "overrides"], env=env, text=True, capture_output=True)
    for s in optional:
        if f"{s.parameter}=" in unset.stdout:
            problem(f"`overrides` passes {s.parameter} although {s.name} is not set (the template's default should apply)")
        if f"{s.parameter}={given[s.name]}" not in some.stdout.splitlines():
            problem(f"`overrides` does not pass {s.parameter} when {s.name} is set")
    # Each job refuses the other's stack: staging one whose name does not
    # say staging, production's jobs one whose name does.
    for job, stack in (("staging", "agora"), ("deploy", "agora-staging"), ("publish", "Agora-Staging-2")):
        full = {o.name: dummy(o, job) for o in ds.SETTINGS if job in o.needed_by}
        result = run_check(job, dict(full, AWS_STACK_NAME=stack))
        others = [o.name for o in ds.SETTINGS if named(result.stdout, o.name) or
                  (o.name != "AWS_STACK_NAME" and named_wrong(result.stdout, o.name))]
        if result.returncode == 0 or not named_wrong(result.stdout, "AWS_STACK_NAME") or others:
            problem(f"`check {job}` with AWS_STACK_NAME={stack}: exit {result.returncode}, "
                    f"names it: {named_wrong(result.stdout, 'AWS_STACK_NAME')}, names others: {others}")
        tested += 1
    return tested


def check_retired(ds):
    """A setting read from agora.yaml, still set as a repository variable:
    every job's check refuses it by name, and names nothing else."""
    tested = 0
    for s in [s for s in ds.SETTINGS if s.from_agora]:
        for job in ds.JOBS:
            full = {o.name: dummy(o, job) for o in ds.SETTINGS if job in o.needed_by}
            result = run_check(job, dict(full, **{s.name: "biuro@example.org"}))
            others = [o.name for o in ds.SETTINGS if o is not s and (named(result.stdout, o.name) or
                      named_wrong(result.stdout, o.name) or named_retired(result.stdout, o.name))]
            if result.returncode == 0 or not named_retired(result.stdout, s.name) or others:
                problem(f"`check {job}` with the retired {s.name} set: exit {result.returncode}, "
                        f"names it: {named_retired(result.stdout, s.name)}, names others: {others}")
            tested += 1
    return tested


def main():
    ds = load_settings()
    template = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=CfnLoader)
    parameters = template.get("Parameters") or {}
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    jobs = workflow.get("jobs") or {}
    publish_jobs = yaml.safe_load(PUBLISH_WORKFLOW.read_text(encoding="utf-8")).get("jobs") or {}

    check_template_and_table(ds, parameters)
    deploy = check_job(ds, jobs, "deploy")
    staging = check_job(ds, jobs, "staging")
    publish = check_job(ds, publish_jobs, "publish")
    check_environments(jobs, publish_jobs)
    check_site_kit(jobs)
    if staging:
        check_sam_deploy(ds, staging, parameters, "staging")
    if deploy:
        check_sam_deploy(ds, deploy, parameters)
        # infra/deployed-commit.sh asks the API for a job of this name.
        if deploy.get("name", "deploy") != "deploy":
            problem("deploy.yml's deploy job has a name; infra/deployed-commit.sh looks for a job named `deploy`")
    if publish and not steps_running(publish, "infra/deployed-commit.sh deploy.yml"):
        problem("publish.yml does not build the commit infra/deployed-commit.sh finds in deploy.yml's runs")
    check_docs(ds)
    tested = check_behaviour(ds) + check_retired(ds) + check_stamp(ds)

    for text in problems:
        print(f"error: {text}", file=sys.stderr)
    if problems:
        return 1
    required = sum(1 for s in ds.SETTINGS if s.needed_by)
    print(f"deploy settings: {len(ds.SETTINGS)} ({required} required) match the template's {len(parameters)} "
          f"parameters and the workflows; the check names each missing one ({tested} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
