#!/usr/bin/env python3
"""Publishes a built site to the stack's bucket, and drops from CloudFront's
cache only the pages that changed.

  AWS_STACK_NAME=agora infra/publish-site.py [public]

The deploy and staging jobs of .github/workflows/deploy.yml and the hourly
publish (publish.yml) run it; from a staff machine it needs the same AWS
permissions as the deploy role's site part (infra/README.md, "The deploy
role").

1. The stack's outputs name the bucket and the distribution.
2. Every built file is compared with the bucket's copy by its MD5, which is
   S3's ETag for an object uploaded in one part under SSE-S3 (the bucket's
   encryption); a file the CLI uploads in parts (8 MiB and over) gets the
   multipart ETag computed the same way. Any other ETag only makes a file
   look changed: it is uploaded again, never skipped.
3. `aws s3 sync --delete` uploads the changed and new files and deletes the
   gone ones. It decides by size and modification time, and a build writes
   every file anew, so first the unchanged files get a time older than the
   bucket's copies and the changed ones a newer one: sync then uploads
   exactly what step 2 found (a same-size edit included), and a listing
   afterwards confirms it.
4. One invalidation for the changed paths (a folder's index.html also under
   its folder URL), "/*" past MAX_PATHS, none at all when nothing changed,
   so an hourly rebuild that changed nothing costs nothing.
"""
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.parse

# The AWS CLI's default multipart_threshold and multipart_chunksize.
PART = 8 * 1024 * 1024
# CloudFront invalidates the first 1,000 paths of a month free and "/*"
# counts as one; a publish that touches more pages than this drops all.
MAX_PATHS = 50
# Browsers and CloudFront (its CachingOptimized policy honours the origin's
# Cache-Control) keep a page five minutes; the invalidation shows a change
# at once.
CACHE_CONTROL = "public, max-age=300"


def aws(*args, capture=True):
    result = subprocess.run(["aws", *args], text=True, capture_output=capture)
    if result.returncode != 0:
        if capture:
            sys.stderr.write(result.stderr)
        raise SystemExit(f"error: aws {' '.join(args[:2])} failed (exit {result.returncode})")
    return result.stdout


def stack_outputs(stack):
    data = json.loads(aws("cloudformation", "describe-stacks", "--stack-name", stack, "--output", "json"))
    outputs = data["Stacks"][0].get("Outputs") or []
    return {o["OutputKey"]: o["OutputValue"] for o in outputs}


def remote_etags(bucket):
    # The CLI follows the pages itself and returns one document.
    text = aws("s3api", "list-objects-v2", "--bucket", bucket, "--output", "json")
    data = json.loads(text) if text.strip() else {}
    return {o["Key"]: o["ETag"].strip('"') for o in data.get("Contents") or []}


def etag(path):
    size = path.stat().st_size
    with path.open("rb") as f:
        if size < PART:
            return hashlib.md5(f.read()).hexdigest()
        digests = []
        while chunk := f.read(PART):
            digests.append(hashlib.md5(chunk).digest())
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"


def local_files(site):
    files = {}
    for dirpath, _dirs, names in os.walk(site):
        for name in names:
            path = pathlib.Path(dirpath, name)
            files[path.relative_to(site).as_posix()] = path
    return files


def paths_of(key):
    """The URLs a key is served at; CloudFront takes them percent-encoded."""
    urls = ["/" + key]
    if key == "index.html":
        urls.append("/")
    elif key.endswith("/index.html"):
        urls.append("/" + key[: -len("index.html")])
    return [urllib.parse.quote(u, safe="/") for u in urls]


def summary(line):
    print(line)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as f:
            f.write(line + "\n")


def main(argv):
    site = pathlib.Path(argv[1] if len(argv) > 1 else "public")
    stack = os.environ.get("AWS_STACK_NAME", "").strip()
    if not stack:
        raise SystemExit("error: AWS_STACK_NAME is not set (the stack whose bucket to publish to)")
    # --delete would empty the bucket of a site that did not build.
    for needed in ("index.html", "404.html"):
        if not (site / needed).is_file():
            raise SystemExit(f"error: {site}/{needed} is missing: is {site}/ a built site? Nothing was published.")

    outputs = stack_outputs(stack)
    bucket, distribution = outputs["SiteBucketName"], outputs["DistributionId"]
    local = local_files(site)
    hashes = {key: etag(path) for key, path in local.items()}
    remote = remote_etags(bucket)
    changed = sorted(k for k in local if remote.get(k) != hashes[k])
    deleted = sorted(k for k in remote if k not in local)
    if not changed and not deleted:
        summary(f"s3://{bucket} already holds this site ({len(local)} files): nothing uploaded, nothing invalidated.")
        return 0

    newer = time.time() + 3600  # ahead of S3's clock whatever the skew
    changed_set = set(changed)
    for key, path in local.items():
        when = newer if key in changed_set else 0
        os.utime(path, (when, when))
    aws("s3", "sync", f"{site}/", f"s3://{bucket}/", "--delete",
        "--cache-control", CACHE_CONTROL, "--no-progress", capture=False)

    after = remote_etags(bucket)
    wrong = sorted(k for k in local if after.get(k) != hashes[k]) + sorted(k for k in after if k not in local)
    if wrong:
        raise SystemExit(f"error: after the sync the bucket still differs from {site}/ in: {', '.join(wrong[:20])}")

    paths = sorted({p for key in changed + deleted for p in paths_of(key)})
    if len(paths) > MAX_PATHS:
        paths = ["/*"]
    invalidation = aws("cloudfront", "create-invalidation", "--distribution-id", distribution,
                       "--paths", *paths, "--query", "Invalidation.Id", "--output", "text").strip()
    shown = ", ".join(paths[:10]) + (f" and {len(paths) - 10} more" if len(paths) > 10 else "")
    summary(f"s3://{bucket}: {len(changed)} uploaded, {len(deleted)} deleted; "
            f"CloudFront invalidation {invalidation}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
