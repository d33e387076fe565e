#!/usr/bin/env python3
"""The repository settings .github/workflows/deploy.yml needs, in one table.

  infra/deploy-settings.py check deploy|publish|staging
      Run before anything touches AWS. The workflow passes every setting as
      an environment variable of the same name (an unset GitHub variable
      arrives as an empty string); this prints a GitHub `::error::` line for
      each one the job needs that is empty, and for each one set to a value
      it cannot take, all of them at once, and exits 1. The staging job
      (the staging environment's settings, infra/README.md, "Staging")
      takes only a stack whose name says staging, and the production jobs
      (deploy, publish) never one: an environment variable forgotten
      cannot point one at the other's stack. A setting read from agora.yaml
      instead (the office's addresses, the audit log's days) must not be set as a repository
      variable too: while one of the same name is, the check fails, so
      that nobody edits a variable the deploy ignores.
  infra/deploy-settings.py overrides
      sam deploy's --parameter-overrides, one Key=Value a line: every
      template parameter without a default, and an optional one only when
      its variable is set (else the template's default applies). A
      setting read from agora.yaml arrives in its variable from the
      workflow, which ran the `agora` command the table names.
  infra/deploy-settings.py stamp target/lambda-package
      Writes the digest of those overrides into every function package
      (deploy-settings.sha256 beside bootstrap), before sam deploy. SAM
      publishes a new version of a function behind its alias only when the
      package, or the environment as the template writes it, changes; a
      changed parameter the environment refers to (!Ref SenderAddress)
      would reach the function but not its alias (SAM's issue
      aws/serverless-application-model#3820). With the digest in the package
      the package changes too.

Only the standard library: the workflow runs this with the runner's Python.
infra/check-deploy-settings.py (run by infra/check.sh) keeps this table,
infra/template.yaml's Parameters and the workflow in step, and tests this
script's answers.
"""
import hashlib
import os
import pathlib
import sys
from dataclasses import dataclass

WHERE = "Settings → Secrets and variables → Actions"


@dataclass(frozen=True)
class Setting:
    name: str
    # A secret (masked in logs) or a plain variable.
    secret: bool
    # The jobs that cannot run without it; none: optional.
    needed_by: tuple
    # The template parameter it sets, if any.
    parameter: str | None
    what: str
    # The values it may take (the parameter's AllowedValues); none: any.
    choices: tuple = ()
    # Not a repository setting: the `agora` command that prints its value
    # from agora.yaml, which the workflow runs and passes on in this
    # variable. One list for `agora serve` and the stack, reviewed in pull
    # requests; a repository variable of this name is refused.
    from_agora: str | None = None


DEPLOY_AND_PUBLISH = ("deploy", "publish", "staging")
DEPLOY = ("deploy", "staging")
OPTIONAL = ()

SETTINGS = [
    Setting("AWS_DEPLOY_ROLE_ARN", True, DEPLOY_AND_PUBLISH, None,
            "the IAM role the workflow assumes through GitHub's OIDC provider (infra/README.md, \"The deploy role\")"),
    Setting("AWS_REGION", False, DEPLOY_AND_PUBLISH, None,
            "the stack's region, an EU one (eu-central-1)"),
    Setting("AWS_STACK_NAME", False, DEPLOY_AND_PUBLISH, None,
            "the CloudFormation stack's name (e.g. agora)"),
    Setting("AGORA_DOMAIN", False, DEPLOY_AND_PUBLISH, "DomainName",
            "the site's domain, without https:// (e.g. wspolneprojekty.krakow.pl)"),
    Setting("AGORA_CERTIFICATE_ARN", False, DEPLOY, "CertificateArn",
            "the ACM certificate for the domain, in us-east-1"),
    Setting("AGORA_SENDER_ADDRESS", False, DEPLOY, "SenderAddress",
            "the address the e-mails come from; its domain becomes an SES identity"),
    Setting("AGORA_STAFF_ADDRESS", False, DEPLOY, "StaffAddress",
            "the staff's address: the residents' contact and the alarms' recipient"),
    Setting("AGORA_PANEL_OFFICE", False, OPTIONAL, "PanelOffice",
            "the staff workspace's office addresses: agora.yaml's panel.office, which `agora serve` "
            "reads too (none listed: nobody can sign in; infra/README.md, \"The staff workspace\")",
            from_agora="agora panel office"),
    Setting("AGORA_PANEL_AUDIT_DAYS", False, OPTIONAL, "PanelAuditDays",
            "how many days the staff workspace's audit log keeps a line: agora.yaml's panel.audit_days "
            "(not set: the template's default, 365)",
            from_agora="agora panel audit-days"),
    Setting("AGORA_REGISTER_CONCURRENCY", False, OPTIONAL, "RegisterConcurrency",
            "register's reserved concurrency (default 0: none; infra/README.md, \"Lambda concurrency\")"),
    Setting("AGORA_CONFIRM_CONCURRENCY", False, OPTIONAL, "ConfirmConcurrency",
            "confirm's reserved concurrency (default 0: none)"),
    Setting("AGORA_WITHDRAW_CONCURRENCY", False, OPTIONAL, "WithdrawConcurrency",
            "withdraw's reserved concurrency (default 0: none)"),
    Setting("AGORA_STATUS_CONCURRENCY", False, OPTIONAL, "StatusConcurrency",
            "status's reserved concurrency (default 0: none)"),
    Setting("AGORA_ORIGIN_VERIFY_CONCURRENCY", False, OPTIONAL, "OriginVerifyConcurrency",
            "the origin-verify authorizer's reserved concurrency (default 0: none)"),
    Setting("AGORA_SENDER_IDENTITY", False, OPTIONAL, "SenderDomainIdentity",
            "create (the default): the stack makes the SES identity of the sender's domain; "
            "existing: another stack in the account made it (a staging stack beside production; "
            "infra/README.md, \"Staging\")",
            choices=("create", "existing")),
]

JOBS = ("deploy", "publish", "staging")

# A staging stack's name contains this (agora-staging); a production one's
# does not.
STAGING_MARK = "staging"

# The file `stamp` writes into each function package.
STAMP = "deploy-settings.sha256"


def value(setting, env):
    return (env.get(setting.name) or "").strip()


def missing(job, env):
    return [s for s in SETTINGS if job in s.needed_by and not value(s, env)]


def invalid(env):
    """The settings that are set to a value they cannot take."""
    return [s for s in SETTINGS if s.choices and value(s, env) and value(s, env) not in s.choices]


def retired(env):
    """The settings read from agora.yaml that are set as repository variables too."""
    return [s for s in SETTINGS if s.from_agora and value(s, env)]


def foreign_stack(job, env):
    """Why the job must not touch the stack its settings name, if it must not."""
    stack = (env.get("AWS_STACK_NAME") or "").strip()
    if not stack:
        return None
    staging = STAGING_MARK in stack.lower()
    if job == "staging" and not staging:
        return (f"AWS_STACK_NAME is {stack!r}, which the staging job does not deploy: a staging stack's name "
                f"contains \"{STAGING_MARK}\" (e.g. agora-staging), so that it is never production's. Set the "
                "staging environment's own (Settings → Environments → staging → Environment variables)")
    if job != "staging" and staging:
        return (f"AWS_STACK_NAME is {stack!r}, a staging stack's name, which the {job} job does not touch. "
                f"Set production's in {WHERE} → Variables (repository, or the production environment's)")
    return None


def environment(job):
    """The GitHub environment whose settings the job gets."""
    return "staging" if job == "staging" else "production"


def check(job, env):
    gone = missing(job, env)
    for s in gone:
        kind = "secret" if s.secret else "variable"
        tab = "Secrets" if s.secret else "Variables"
        print(f"::error title=Missing repository {kind} {s.name}::{s.name} is not set: {s.what}. "
              f"Set it in {WHERE} → {tab} (repository, or the {environment(job)} environment's).")
    wrong = invalid(env)
    for s in wrong:
        print(f"::error title=Wrong repository variable {s.name}::{s.name} is {value(s, env)!r}, "
              f"which it cannot be: {' or '.join(s.choices)} ({s.what}). Change it in {WHERE} → Variables.")
    stale = retired(env)
    for s in stale:
        print(f"::error title=Retired repository variable {s.name}::{s.name} is set, but the deploy no longer "
              f"reads it. {s.parameter} is {s.what}; `{s.from_agora}` prints it for the deploy. Make the "
              f"change there, in a pull request, then delete the variable in {WHERE} → Variables "
              f"(repository, or the {environment(job)} environment's).")
    foreign = foreign_stack(job, env)
    if foreign:
        print(f"::error title=Wrong stack for the {job} job::{foreign}.")
    if gone or wrong or stale or foreign:
        print(f"{len(gone) + len(wrong) + len(stale) + bool(foreign)} setting(s) the {job} job needs are missing or wrong; "
              "nothing reached AWS. "
              "The list: the comment at the top of .github/workflows/deploy.yml.", file=sys.stderr)
        return 1
    print(f"every setting the {job} job needs is set")
    return 0


def parameters(env):
    """The overrides' lines, and what is wrong with the settings."""
    lines, problems = [], []
    for s in SETTINGS:
        if not s.parameter:
            continue
        given = value(s, env)
        if not given:
            if s.needed_by:
                problems.append(f"{s.name} is not set (run `check deploy` first)")
            continue
        # sam deploy splits its shorthand on spaces; no parameter of the
        # template takes one.
        if any(c.isspace() for c in given):
            problems.append(f"{s.name} contains white space: {given!r}")
            continue
        if s.choices and given not in s.choices:
            problems.append(f"{s.name} is {given!r}, not {' or '.join(s.choices)} (run `check deploy` first)")
            continue
        lines.append(f"{s.parameter}={given}")
    return lines, problems


def overrides(env):
    lines, problems = parameters(env)
    # To standard error: standard output is the overrides, read by the shell.
    for problem in problems:
        print(f"::error::{problem}", file=sys.stderr)
    if problems:
        return 1
    print("\n".join(lines))
    return 0


def stamp(folder, env):
    lines, problems = parameters(env)
    for problem in problems:
        print(f"::error::{problem}", file=sys.stderr)
    if problems:
        return 1
    packages = sorted(p for p in pathlib.Path(folder).glob("*") if (p / "bootstrap").is_file())
    if not packages:
        print(f"::error::{folder} holds no function package (<name>/bootstrap): run infra/build-functions.sh",
              file=sys.stderr)
        return 1
    digest = hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()
    for package in packages:
        (package / STAMP).write_text(digest + "\n", encoding="utf-8")
    print(f"{len(packages)} function packages stamped with the settings' digest {digest[:12]}")
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "check" and argv[2] in JOBS:
        return check(argv[2], os.environ)
    if len(argv) == 2 and argv[1] == "overrides":
        return overrides(os.environ)
    if len(argv) == 3 and argv[1] == "stamp":
        return stamp(argv[2], os.environ)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
