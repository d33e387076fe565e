#!/usr/bin/env bash
# Builds the Lambda packages that infra/template.yaml deploys, one folder a
# function under target/lambda-package/:
#
#   target/lambda-package/<name>/bootstrap          the Rust binary (provided.al2023, x86_64)
#   target/lambda-package/<name>/content/forms/     a copy of content/forms (AGORA_FORMS_DIR=/var/task/content)
#   target/lambda-package/<name>/content/data/      a copy of content/data (the forms' choices)
#
# for every functions/src/bin/<name>.rs. Needs cargo-lambda, which brings
# zig to link for Lambda's glibc (`pip install cargo-lambda`; without
# CARGO_LAMBDA it is looked for on PATH, then in the infra checks' virtual
# environment that scripts/test makes).
#
#   infra/build-functions.sh            # then: sam deploy (see infra/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${XDG_CACHE_HOME:-$HOME/.cache}/agora/infra-venv"
if [ -z "${CARGO_LAMBDA:-}" ]; then
  if command -v cargo-lambda >/dev/null 2>&1; then
    CARGO_LAMBDA=cargo-lambda
  elif [ -x "$venv/bin/cargo-lambda" ]; then
    CARGO_LAMBDA="$venv/bin/cargo-lambda"
    # cargo-lambda runs the pip package's zig through this Python.
    export PATH="$venv/bin:$PATH"
  else
    echo "error: cargo-lambda not found; pip install cargo-lambda (or run scripts/test once)" >&2
    exit 1
  fi
fi

# shellcheck source=infra/function-names.sh
source infra/function-names.sh

# The release-lambda profile (Cargo.toml): small, stripped binaries for the
# package size and the cold start; bench/README.md has the figures.
echo "== cargo lambda build --profile release-lambda -p agora-functions ${bins[*]}"
"$CARGO_LAMBDA" lambda build --profile release-lambda --locked -p agora-functions --x86-64 "${bins[@]}"

out=target/lambda-package
rm -rf "$out"
for name in "${names[@]}"; do
  mkdir -p "$out/$name/content"
  cp target/lambda/"$name"/bootstrap "$out/$name/bootstrap"
  cp -R content/forms content/data "$out/$name/content/"
  echo "$out/$name: $(du -sh "$out/$name" | cut -f1)"
done
