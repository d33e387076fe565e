#!/usr/bin/env bash
# Builds the site with what the staff workspace published, and publishes it
# (infra/README.md, "Publishing from the staff workspace"):
#
#   AGORA_TABLE=TABLE AGORA_DOMAIN=DOMAIN AWS_STACK_NAME=STACK infra/rebuild-site.sh
#
# The stack's CodeBuild project runs it in the site kit (infra/upload-site-kit.sh:
# the agora binary, agora.yaml, content/, themes/, infra/); AGORA_BIN names
# another agora (default ./agora, the kit's).
#
# 1. `agora publish pull` writes every published file into content/.
# 2. `agora build`, then infra/publish-site.py (only what changed is uploaded
#    and invalidated).
# 3. The published files are read again: a file published while this build
#    ran (whose own build may have finished first) means another round, so
#    the last thing published is never lost to an older build uploading
#    after it. Three rounds at most; the next publish catches up after that.
set -euo pipefail
cd "$(dirname "$0")/.."

agora="${AGORA_BIN:-./agora}"
for name in AGORA_TABLE AGORA_DOMAIN AWS_STACK_NAME; do
  if [ -z "${!name:-}" ]; then
    echo "error: $name is not set (the stack's table, the site's domain, the stack)" >&2
    exit 1
  fi
done

pull() { "$agora" publish pull --dynamodb-table "$AGORA_TABLE"; }

pulled="$(pull)"
echo "$pulled"
for round in 1 2 3; do
  echo "-- round $round: build and publish"
  "$agora" build --base-url "https://$AGORA_DOMAIN" --out public
  python3 infra/publish-site.py public
  now="$(pull)"
  if [ "$now" = "$pulled" ]; then
    echo "the site shows every published file"
    exit 0
  fi
  echo "published while this build ran:"
  echo "$now"
  pulled="$now"
done
echo "error: files were published during each of 3 builds; the next publish rebuilds the site with them" >&2
exit 1
