#!/usr/bin/env python3
"""infra/publish-site.py against a stand-in `aws` command, offline (infra/check.sh).

The stand-in keeps a bucket in a JSON file and behaves as the real CLI's
`s3 sync` is documented to: a local file is uploaded when the bucket lacks
it, its size differs, or its modification time is newer than the bucket's
copy. The cases: a first publish; an unchanged rebuild (no upload, no
invalidation); a same-size edit in files older than the bucket's copies (the
edit plain sync would miss); a deleted page; a publish past MAX_PATHS ("/*");
a folder that is not a built site (refused before any AWS call).
"""
import hashlib
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "infra" / "publish-site.py"

FAKE_AWS = r'''#!/usr/bin/env python3
import hashlib, json, os, pathlib, sys, time
state_file = pathlib.Path(os.environ["FAKE_AWS_STATE"])
state = json.loads(state_file.read_text())
args = sys.argv[1:]
state["calls"].append(" ".join(args[:2]))

def arg(name):
    return args[args.index(name) + 1]

if args[:2] == ["cloudformation", "describe-stacks"]:
    assert arg("--stack-name") == "agora", args
    print(json.dumps({"Stacks": [{"Outputs": [
        {"OutputKey": "SiteBucketName", "OutputValue": "site-bucket"},
        {"OutputKey": "DistributionId", "OutputValue": "E2EXAMPLE"}]}]}))
elif args[:2] == ["s3api", "list-objects-v2"]:
    assert arg("--bucket") == "site-bucket", args
    objects = state["objects"]
    if objects:
        print(json.dumps({"Contents": [{"Key": k, "ETag": '"%s"' % o["etag"], "Size": o["size"]}
                                       for k, o in sorted(objects.items())]}))
elif args[:2] == ["s3", "sync"]:
    src, dest = pathlib.Path(args[2]), args[3]
    assert dest == "s3://site-bucket/", args
    seen = set()
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        key = path.relative_to(src).as_posix()
        seen.add(key)
        st, old = path.stat(), state["objects"].get(key)
        if old is None or old["size"] != st.st_size or st.st_mtime > old["mtime"]:
            data = path.read_bytes()
            state["objects"][key] = {"etag": hashlib.md5(data).hexdigest(), "size": len(data), "mtime": time.time()}
            state["uploads"].append(key)
            print(f"upload: {path} to {dest}{key}")
    if "--delete" in args:
        for key in sorted(set(state["objects"]) - seen):
            del state["objects"][key]
            state["deletes"].append(key)
            print(f"delete: {dest}{key}")
elif args[:2] == ["cloudfront", "create-invalidation"]:
    assert arg("--distribution-id") == "E2EXAMPLE", args
    paths = args[args.index("--paths") + 1:args.index("--query")]
    state["invalidations"].append(paths)
    print("I%d" % len(state["invalidations"]))
else:
    sys.exit(f"fake aws: unexpected call {args}")
state_file.write_text(json.dumps(state))
'''

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAILED: {message}", file=sys.stderr)


class Bucket:
    def __init__(self, tmp):
        self.bin = tmp / "bin"
        self.bin.mkdir()
        fake = self.bin / "aws"
        fake.write_text(FAKE_AWS.replace("#!/usr/bin/env python3", f"#!{sys.executable}", 1))
        fake.chmod(0o755)
        self.state_file = tmp / "state.json"
        self.state_file.write_text(json.dumps({"objects": {}, "calls": []}))

    def publish(self, site):
        state = self.state()
        state.update(calls=[], uploads=[], deletes=[], invalidations=[])
        self.state_file.write_text(json.dumps(state))
        env = dict(os.environ, PATH=f"{self.bin}{os.pathsep}{os.environ['PATH']}",
                   FAKE_AWS_STATE=str(self.state_file), AWS_STACK_NAME="agora")
        env.pop("GITHUB_STEP_SUMMARY", None)
        run = subprocess.run([sys.executable, str(SCRIPT), str(site)], env=env, text=True, capture_output=True)
        return run, self.state()

    def state(self):
        return json.loads(self.state_file.read_text())


def write(site, files, mtime=None):
    if site.exists():
        shutil.rmtree(site)
    for key, text in files.items():
        path = site / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if mtime is not None:
            os.utime(path, (mtime, mtime))


def main():
    spec = importlib.util.spec_from_file_location("publish_site", SCRIPT)
    publish_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(publish_site)

    site_files = {
        "index.html": "<h1>Wspólne Projekty</h1>",
        "404.html": "<h1>Nie ma takiej strony</h1>",
        "style.css": "body { margin: 0 }",
        "aktualnosci/nabor/index.html": "<p>Nabór trwa do 2020-03-05.</p>",
        "stare/index.html": "<p>Stara strona</p>",
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        bucket = Bucket(tmp)
        site = tmp / "public"

        write(site, site_files)
        run, state = bucket.publish(site)
        check(run.returncode == 0, f"first publish: exit {run.returncode}: {run.stderr}")
        check(sorted(state["uploads"]) == sorted(site_files), f"first publish uploads every file: {state['uploads']}")
        check(len(state["invalidations"]) == 1 and "/aktualnosci/nabor/" in state["invalidations"][0]
              and "/" in state["invalidations"][0],
              f"first publish invalidates the pages and their folder URLs: {state['invalidations']}")

        # The hourly rebuild: the same bytes, written anew.
        write(site, site_files)
        run, state = bucket.publish(site)
        check(run.returncode == 0, f"unchanged rebuild: exit {run.returncode}: {run.stderr}")
        check("s3 sync" not in state["calls"], f"unchanged rebuild runs no sync: {state['calls']}")
        check(state["invalidations"] == [], f"unchanged rebuild invalidates nothing: {state['invalidations']}")
        check("nothing uploaded, nothing invalidated" in run.stdout, f"unchanged rebuild says so: {run.stdout!r}")

        # A date changed, same size, in files older than the bucket's copies
        # (an artifact keeps the build's times): plain sync would skip it.
        edited = dict(site_files, **{"aktualnosci/nabor/index.html": "<p>Nabór trwa do 2020-03-06.</p>"})
        write(site, edited, mtime=time.time() - 86400)
        run, state = bucket.publish(site)
        check(run.returncode == 0, f"same-size edit: exit {run.returncode}: {run.stderr}")
        check(state["uploads"] == ["aktualnosci/nabor/index.html"], f"same-size edit uploads that page only: {state['uploads']}")
        check(state["invalidations"] == [["/aktualnosci/nabor/", "/aktualnosci/nabor/index.html"]],
              f"same-size edit invalidates that page's two URLs: {state['invalidations']}")

        # A page removed from the site.
        del edited["stare/index.html"]
        write(site, edited)
        run, state = bucket.publish(site)
        check(run.returncode == 0, f"deleted page: exit {run.returncode}: {run.stderr}")
        check(state["deletes"] == ["stare/index.html"] and state["uploads"] == [],
              f"deleted page: deleted from the bucket, nothing uploaded: {state['deletes']} {state['uploads']}")
        check(state["invalidations"] == [["/stare/", "/stare/index.html"]], f"deleted page invalidated: {state['invalidations']}")

        # More changed paths than MAX_PATHS: one "/*".
        many = dict(edited, **{f"tag/t{n}/index.html": f"<p>{n}</p>" for n in range(publish_site.MAX_PATHS)})
        write(site, many)
        run, state = bucket.publish(site)
        check(run.returncode == 0, f"large publish: exit {run.returncode}: {run.stderr}")
        check(state["invalidations"] == [["/*"]], f"large publish invalidates /*: {state['invalidations']}")

        # Not a built site: refused before any AWS call, the bucket untouched.
        before = bucket.state()["objects"]
        empty = tmp / "empty"
        write(empty, {"index.html": "x"})
        run, state = bucket.publish(empty)
        check(run.returncode != 0 and "404.html" in run.stderr, f"a folder without 404.html is refused: {run.stderr!r}")
        check(state["calls"] == [] and state["objects"] == before, f"the refusal calls no AWS: {state['calls']}")

        # The ETag of a file of several parts, as S3 reports it.
        big = tmp / "big.bin"
        big.write_bytes(b"a" * (publish_site.PART + 1))
        parts = [hashlib.md5(b"a" * publish_site.PART).digest(), hashlib.md5(b"a").digest()]
        check(publish_site.etag(big) == hashlib.md5(b"".join(parts)).hexdigest() + "-2", "multipart ETag")

    if failures:
        print(f"publish-site.py: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("publish-site.py: uploads and invalidates only what changed (7 cases, against a stand-in aws)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
