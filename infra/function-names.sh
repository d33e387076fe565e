# Sourced by infra/build-functions.sh and bench/functions.sh (from the
# workspace root): the Lambda functions, one a functions/src/bin/<name>.rs.
#   names: confirm register …        bins: --bin confirm --bin register …
names=()
bins=()
for source in functions/src/bin/*.rs; do
  names+=("$(basename "$source" .rs)")
  bins+=(--bin "$(basename "$source" .rs)")
done
