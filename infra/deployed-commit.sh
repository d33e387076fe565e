#!/usr/bin/env bash
# Prints the commit the stack and the site were last deployed from: the
# newest run of the workflow on main whose `deploy` job succeeded (nothing
# before the first deploy). The hourly publish rebuilds that commit rather
# than main's newest: a commit still in its tests may bring a form the
# deployed functions do not know yet.
#
#   GH_TOKEN=… GITHUB_REPOSITORY=owner/repo infra/deployed-commit.sh deploy.yml
#
# The token needs `actions: read`. GitHub's REST API through gh, which
# GitHub's runners have. Only push and workflow_dispatch runs can deploy;
# asking for them alone keeps the hourly runs from crowding them out.
set -euo pipefail
workflow="$1"
runs="$(for event in push workflow_dispatch; do
  gh api "repos/$GITHUB_REPOSITORY/actions/workflows/$workflow/runs?branch=main&event=$event&status=success&per_page=20" \
    --jq '.workflow_runs[] | "\(.created_at) \(.id) \(.head_sha)"'
done | sort -r)"
while read -r _created id sha; do
  [ -n "${id:-}" ] || continue
  deployed="$(gh api "repos/$GITHUB_REPOSITORY/actions/runs/$id/jobs" \
    --jq '[.jobs[] | select(.name == "deploy" and .conclusion == "success")] | length')"
  if [ "$deployed" -gt 0 ]; then
    echo "$sha"
    exit 0
  fi
done <<< "$runs"
