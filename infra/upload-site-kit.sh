#!/usr/bin/env bash
# Puts the site kit into the stack's bucket (output SiteKitBucketName), for
# the CodeBuild project that rebuilds the site when the staff workspace
# publishes (infra/README.md, "Publishing from the staff workspace"):
#
#   AWS_STACK_NAME=agora infra/upload-site-kit.sh [AGORA_BINARY]   (default target/release/agora)
#
# The kit is what infra/rebuild-site.sh needs and no more: the agora binary
# the deploy built, this commit's agora.yaml, content/ and themes/, and
# infra/rebuild-site.sh with infra/publish-site.py. Run after each deploy,
# so that the site rebuilt from the panel is the deployed commit's.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-target/release/agora}"
stack="${AWS_STACK_NAME:-}"
if [ -z "$stack" ]; then
  echo "error: AWS_STACK_NAME is not set (the stack whose kit bucket to fill)" >&2
  exit 1
fi
if [ ! -x "$binary" ]; then
  echo "error: $binary is not an agora binary (cargo build --release -p agora)" >&2
  exit 1
fi
# The project runs aws/codebuild/standard:7.0 (Ubuntu 22.04, glibc 2.35): a
# binary built against a newer glibc would not start there.
image_glibc=2.35
needed="$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)"
if [ "$(printf '%s\n%s\n' "$needed" "$image_glibc" | sort -V | tail -n 1)" != "$image_glibc" ]; then
  echo "error: $binary needs glibc $needed; the publishing build has $image_glibc. Build agora on an older system. Nothing was uploaded." >&2
  exit 1
fi

bucket="$(aws cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey=='SiteKitBucketName'].OutputValue" --output text)"
if [ -z "$bucket" ] || [ "$bucket" = "None" ]; then
  echo "error: the stack $stack has no output SiteKitBucketName: deploy the template first" >&2
  exit 1
fi

kit="$(mktemp -d)"
trap 'rm -rf "$kit"' EXIT
mkdir -p "$kit/files/infra"
cp "$binary" "$kit/files/agora"
cp -R agora.yaml content themes "$kit/files/"
cp infra/rebuild-site.sh infra/publish-site.py "$kit/files/infra/"
(cd "$kit/files" && zip -qr ../site-kit.zip .)
aws s3 cp "$kit/site-kit.zip" "s3://$bucket/site-kit.zip" --no-progress
echo "s3://$bucket/site-kit.zip: $(du -h "$kit/site-kit.zip" | cut -f1), agora needs glibc $needed"
