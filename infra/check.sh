#!/usr/bin/env bash
# The offline checks of infra/template.yaml (scripts/test runs them):
#   sam validate --lint   SAM's own transform and cfn-lint on the result
#   cfn-lint              the template as written
#   checkov               no failed check; every skipped one has its reason
#   check-functions.py    the template's functions are functions/'s binaries
#   check-roles.py        each role grants what infra/function-calls.json says
#                         its function calls (functions/tests/roles.rs records it)
#   check-canaries.py     each HTTP function deploys by a canary that rolls back
#                         on its new version's errors and the API's 5xx
#   check-deploy-settings.py
#                         the deploy workflow passes every parameter the
#                         template needs and none it lacks, from repository
#                         settings it (and the hourly publish) checks first,
#                         and that check works
#   publish-site-test.py  publish-site.py uploads and invalidates only what
#                         changed (against a stand-in aws command)
# The tools (infra/requirements.txt) live in a virtual environment under
# the user's cache, made when missing or when the requirements changed.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${XDG_CACHE_HOME:-$HOME/.cache}/agora/infra-venv"
stamp="$venv/.agora-requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s infra/requirements.txt "$stamp"; then
  echo "installing the infra tools into $venv (infra/requirements.txt)"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r infra/requirements.txt
  cp infra/requirements.txt "$stamp"
fi

# Nothing reaches AWS: SAM and the linters only need a region and some
# credentials to be present.
export AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline AWS_SESSION_TOKEN=offline
export AWS_DEFAULT_REGION=eu-central-1 AWS_REGION=eu-central-1
export SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true

echo "-- sam validate --lint"
"$venv/bin/sam" validate --lint --template-file infra/template.yaml
echo "-- cfn-lint"
"$venv/bin/cfn-lint" infra/template.yaml
echo "-- checkov"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
status=0
"$venv/bin/checkov" --file infra/template.yaml --framework cloudformation --skip-download \
  --output json > "$report" || status=$?
"$venv/bin/python" - "$report" "$status" <<'PY'
import json, sys
report, status = json.load(open(sys.argv[1])), int(sys.argv[2])
results = report.get("results", {})
failed = results.get("failed_checks", [])
skipped = results.get("skipped_checks", [])
for check in failed:
    print(f"FAILED {check['check_id']} {check['resource']}: {check['check_name']}")
unjustified = [c for c in skipped if not (c.get("check_result", {}).get("suppress_comment") or "").strip()]
for check in unjustified:
    print(f"SKIPPED WITHOUT A REASON {check['check_id']} {check['resource']}")
passed = len(results.get("passed_checks", []))
print(f"checkov: {passed} passed, {len(failed)} failed, {len(skipped)} skipped (each with its reason in the template)")
if failed or unjustified or not passed or (status != 0 and not failed):
    sys.exit(1)
PY
echo "-- every function is a binary of functions/"
python3 infra/check-functions.py
echo "-- each role grants what its function calls"
"$venv/bin/python" infra/check-roles.py
# The check must catch a permission taken away: the confirm role without
# Query (the defect it was written for) has to fail it.
broken="$(mktemp --suffix=.yaml)"
trap 'rm -f "$report" "$broken"' EXIT
"$venv/bin/python" - "$broken" <<'PY'
import pathlib, re, sys
text = pathlib.Path("infra/template.yaml").read_text(encoding="utf-8")
start = text.index("  ConfirmRole:")
end = text.index("\n  WithdrawRole:", start)
role = re.sub(r"\n\s+- dynamodb:Query", "", text[start:end], count=1)
assert role != text[start:end], "no dynamodb:Query in ConfirmRole to take away"
pathlib.Path(sys.argv[1]).write_text(text[:start] + role + text[end:], encoding="utf-8")
PY
if "$venv/bin/python" infra/check-roles.py "$broken" 2>/dev/null; then
  echo "error: check-roles.py passed a template whose ConfirmRole lacks dynamodb:Query" >&2
  exit 1
fi
echo "(and it fails when ConfirmRole lacks dynamodb:Query)"
echo "-- each HTTP function deploys by a canary watching its new version"
"$venv/bin/python" infra/check-canaries.py
# And it must catch a canary watching the whole function (whose errors
# include the old version's) instead of the version being deployed.
sed 's/- !Ref StatusCanaryErrorsAlarm/- !Ref StatusErrorsAlarm/' infra/template.yaml > "$broken"
if cmp -s infra/template.yaml "$broken" || "$venv/bin/python" infra/check-canaries.py "$broken" 2>/dev/null; then
  echo "error: check-canaries.py passed a template whose status canary watches StatusErrorsAlarm" >&2
  exit 1
fi
echo "(and it fails when the status canary watches the whole function's errors)"
echo "-- the workflows' settings and the template's parameters agree"
"$venv/bin/python" infra/check-deploy-settings.py
echo "-- publishing the site uploads and invalidates only what changed"
python3 infra/publish-site-test.py
