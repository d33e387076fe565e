#!/usr/bin/env bash
# Builds the same corpus (bench/src/corpus.rs) with `agora build` and with
# Hugo, in one run on this machine, and prints for each generator and size
# the median wall time, CPU time (user + system), peak memory and pages
# written, then the ratios. See bench/README.md.
#
#   bench/compare.sh                 # 1,000 and 10,000 posts, 5 runs each
#   PROFILE=dev SIZES=100 RUNS=1 bench/compare.sh   # what CI runs: that it
#                                                  # works (debug build: no numbers)
#
# Installs what it needs when missing: Hugo (Debian's `hugo`) and GNU time
# (Debian's `time`).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="${SIZES:-1000 10000}"
runs="${RUNS:-5}"
work="$(realpath -m "${WORK:-target/bench-sites}")"

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}
command -v hugo >/dev/null 2>&1 || apt_install hugo
[ -x /usr/bin/time ] || apt_install time

profile="${PROFILE:-release}"
cargo build --quiet --profile "$profile" --locked -p agora -p agora-bench
bin="$PWD/target/$([ "$profile" = dev ] && echo debug || echo "$profile")"
agora="$bin/agora"

# median of the numbers on standard input
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# time_builds NAME SITE OUT -- COMMAND...: RUNS builds, each into an empty OUT;
# prints "NAME wall cpu peak_mib pages".
time_builds() {
  local name="$1" out="$3"
  shift 4
  local samples
  samples="$(mktemp)"
  for _ in $(seq "$runs"); do
    rm -rf "$out"
    /usr/bin/time -f "%e %U %S %M" -o "$samples.one" "$@" >/dev/null
    cat "$samples.one" >>"$samples"
  done
  local pages wall cpu mem
  pages="$(find "$out" -name '*.html' | wc -l)"
  if [ "$pages" -eq 0 ]; then
    echo "error: $name wrote no pages into $out" >&2
    exit 1
  fi
  wall="$(awk '{ print $1 }' "$samples" | median)"
  cpu="$(awk '{ print $2 + $3 }' "$samples" | median)"
  mem="$(awk '{ print $4 / 1024 }' "$samples" | median)"
  rm -f "$samples" "$samples.one"
  printf '%s %s %s %.0f %s\n' "$name" "$wall" "$cpu" "$mem" "$pages"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $("$agora" --version); $(hugo version | cut -d' ' -f1-2)${ZOLA:+; $("$ZOLA" --version)}; $profile build; median of $runs runs"
printf '%-7s %6s %-6s %9s %9s %10s %7s\n' posts tool "" wall_s cpu_s peak_MiB pages
declare -A wall mem
for n in $sizes; do
  site="$work/$n"
  "$bin/corpus" --posts "$n" --out "$site" >/dev/null
  results=(
    "$(time_builds agora "$site/agora" "$site/out-agora" -- "$agora" build --root "$site/agora" --out "$site/out-agora")"
    "$(time_builds hugo "$site/hugo" "$site/out-hugo" -- hugo --quiet --source "$site/hugo" --destination "$site/out-hugo")"
  )
  if [ -n "${ZOLA:-}" ]; then
    results+=("$(time_builds zola "$site/zola" "$site/out-zola" -- "$ZOLA" --root "$site/zola" build --output-dir "$site/out-zola" --force)")
  fi
  for line in "${results[@]}"; do
    read -r tool w c m p <<<"$line"
    printf '%-7s %6s %-6s %9s %9s %10s %7s\n' "$n" "$tool" "" "$w" "$c" "$m" "$p"
    wall["$tool/$n"]="$w"
    mem["$tool/$n"]="$m"
  done
done
for n in $sizes; do
  awk -v n="$n" -v aw="${wall[agora/$n]}" -v hw="${wall[hugo/$n]}" -v am="${mem[agora/$n]}" -v hm="${mem[hugo/$n]}" \
    'BEGIN { printf "%s posts: agora/hugo wall %.2f, peak memory %.2f\n", n, aw / hw, am / hm }'
done
set -- $sizes
if [ "$#" -ge 2 ]; then
  first="$1"
  last="${!#}"
  awk -v a="${wall[agora/$first]}" -v b="${wall[agora/$last]}" -v f="$first" -v l="$last" \
    'BEGIN { printf "agora %s posts / %s posts: wall %.1f times\n", l, f, b / a }'
fi
