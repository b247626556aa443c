#!/usr/bin/env python3
"""The measurements behind Tools/bench (run that script, not this one: it builds and installs first).

Every figure is the median of several runs of the real binaries against the real mock server on
127.0.0.1, and every ratio compares two figures measured in this same run. Wall time is measured around
the child process; peak RSS is the child's ru_maxrss from wait4(2).
"""
import argparse
import importlib.util
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("bench_articles", os.path.join(ROOT, "Tools", "bench-articles.py"))
articles = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(articles)

# Every child process is bounded so a hung server or client fails the run instead of stalling it.
PROCESS_TIMEOUT = 900
SEARCH_WORD = articles.RARE

ARTICLE_COLUMNS = ["id", "url", "external_url", "title", "summary", "content_html", "content_text", "body_text",
                   "image", "date_published", "date_modified", "authors_json", "tags_json", "language", "revision",
                   "sync_generation", "received_at"]


# `BriefingStore.prune` (the cutoff inlined where the `?` is), for the sqlite3 floor of `prune`.
PRUNE_SQL = """
    DELETE FROM article WHERE coalesce(date_published, received_at) < ?
      AND EXISTS (SELECT 1 FROM article_state r WHERE r.article_id = article.id AND r.field = 'read' AND r.value = 1)
      AND NOT EXISTS (SELECT 1 FROM article_state s WHERE s.article_id = article.id AND s.field = 'starred' AND s.value = 1)
      AND NOT EXISTS (SELECT 1 FROM pending_mark p WHERE p.article_id = article.id);"""


class BenchFailure(Exception):
    pass


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run(cmd, *, env=None, stdin=None, timed=False, cwd=None):
    """Runs cmd to completion; returns (stdout text, wall seconds, peak RSS in MB). Fails on a non-zero exit.

    Peak RSS comes from /usr/bin/time, not from our own wait4: Linux carries the forked child's RSS from
    before exec into ru_maxrss, so a child forked from this (large) Python process would report Python's
    size. /usr/bin/time is small and forks the command itself. Every timed command, ours and the floor's,
    runs under it alike.
    """
    name = os.path.basename(cmd[0]) + (f" {cmd[1]}" if len(cmd) > 1 else "")
    rss_file = tempfile.NamedTemporaryFile(delete=False) if timed else None
    if rss_file:
        rss_file.close()
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *cmd]
    if timed:
        # Flush other processes' dirty pages first: on ext4 a commit's fsync waits for earlier writes, so
        # without this each command would pay for the files the previous one left (the floor's sqlite3
        # writes a whole store just before the client's next run).
        os.sync()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin_file = None
        if stdin is not None:
            stdin_file = tempfile.TemporaryFile()
            stdin_file.write(stdin.encode())
            stdin_file.seek(0)
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=stdin_file or subprocess.DEVNULL, env=env, cwd=cwd)
        timer = threading.Timer(PROCESS_TIMEOUT, lambda: os.kill(proc.pid, signal.SIGKILL))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if stdin_file:
            stdin_file.close()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        if proc.returncode != 0:
            detail = err.read().decode(errors="replace").strip().splitlines()[-3:]
            raise BenchFailure(f"{name} exited {proc.returncode}: {' | '.join(detail)}")
        rss_mb = usage.ru_maxrss / 1024.0
        if rss_file:
            with open(rss_file.name) as f:
                rss_mb = int(f.read().split()[-1]) / 1024.0
            os.remove(rss_file.name)
        return stdout, wall, rss_mb


class MockServer:
    """briefing-mock-server on 127.0.0.1 with a seeds directory, stopped with SIGTERM on exit."""

    def __init__(self, binary, source_args, workdir):
        self.out_path = os.path.join(workdir, "server.out")
        self.err_path = os.path.join(workdir, "server.err")
        self.proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", *source_args],
                                     stdout=open(self.out_path, "w"), stderr=open(self.err_path, "w"))
        # Loading 100k seed articles takes a while in a debug build; generating a million, a minute or two.
        deadline = time.time() + 600
        self.url = None
        while time.time() < deadline:
            with open(self.out_path) as f:
                line = f.readline()
            if line.startswith("listening on "):
                self.url = line.split("listening on ", 1)[1].strip()
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.url:
            self.stop()
            raise BenchFailure(f"mock server did not start: {open(self.err_path).read().strip()[-300:]}")

    def admin(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method="GET" if body is None else "POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Nginx:
    """nginx from Debian serving a directory on a free 127.0.0.1 port, in the foreground, everything in a
    temporary directory (no master process, so nothing is left behind); stopped on exit."""

    def __init__(self, root, work):
        binary = "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else shutil.which("nginx")
        if not binary:
            raise BenchFailure("nginx is missing (Tools/setup nginx installs it)")
        scratch = tempfile.mkdtemp(dir=work, prefix="nginx-")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = os.path.join(scratch, "nginx.conf")
        with open(config, "w") as f:
            f.write(f"""daemon off;
master_process off;
worker_processes 1;
pid {scratch}/nginx.pid;
error_log {scratch}/error.log warn;
events {{ worker_connections 64; }}
http {{
    types {{ application/json json; }}
    access_log off;
    sendfile on;
    gzip off;
    client_body_temp_path {scratch}/body;
    proxy_temp_path {scratch}/proxy;
    fastcgi_temp_path {scratch}/fastcgi;
    uwsgi_temp_path {scratch}/uwsgi;
    scgi_temp_path {scratch}/scgi;
    server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
""")
        self.proc = subprocess.Popen([binary, "-p", scratch, "-e", f"{scratch}/error.log", "-c", config],
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(scratch, "stderr"), "w"))
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise BenchFailure(f"nginx did not start: {open(os.path.join(scratch, 'stderr')).read().strip()[-300:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Bench:
    def __init__(self, bin_dir, work, runs):
        self.briefing = os.path.join(bin_dir, "briefing")
        self.server_bin = os.path.join(bin_dir, "briefing-mock-server")
        for binary in (self.briefing, self.server_bin):
            if not os.access(binary, os.X_OK):
                raise BenchFailure(f"missing binary {binary}")
        self.work = work
        self.runs = runs
        self.rows = []
        self.details = {}
        self.template_db = None

    # -- helpers ---------------------------------------------------------------------------------

    def seeds(self, n):
        directory = os.path.join(self.work, f"seeds-{n}")
        if not os.path.isdir(directory):
            os.makedirs(directory)
            # In a child process, so this one stays small while it forks the measured commands.
            run([sys.executable, os.path.join(ROOT, "Tools", "bench-articles.py"), str(n),
                 os.path.join(directory, "bench.json")])
        return directory

    def server(self, n, generated=False):
        """The mock server with n articles: from a seed file bench-articles.py wrote, or (generated=True)
        made by the server itself from their index (`--generate`), which a million articles need."""
        workdir = tempfile.mkdtemp(dir=self.work, prefix=f"server-{n}-")
        log(f"starting the mock server with {n} {'generated ' if generated else ''}articles")
        source = ["--generate", str(n)] if generated else ["--seeds", self.seeds(n)]
        return MockServer(self.server_bin, source, workdir)

    def cli(self, db, *args, timed=False):
        env = dict(os.environ, BRIEFING_DB=db)
        env.pop("BRIEFING_TOKEN", None)
        return run([self.briefing, *args], env=env, timed=timed)

    def fresh_store(self, db, url):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        self.cli(db, "init", "--server", url, "--device", "bench-laptop")

    def sync(self, db):
        stdout, wall, rss = self.cli(db, "sync", "--json", timed=True)
        return json.loads(stdout), wall, rss

    def row(self, figure, ours, unit, peer=None, peer_label="", target=None, target_text="", ratio=None, met=None):
        self.rows.append({"figure": figure, "ours": ours, "unit": unit, "peer": peer, "peer_label": peer_label,
                          "ratio": ratio, "target": target, "target_text": target_text, "met": met})
        # Each figure as it is measured too, so a long run that fails later still shows what it had.
        log(f"row: {figure}: {ours:.4g} {unit}" + (f" against {peer:.4g} ({peer_label})" if peer is not None else "")
            + (f", ratio {ratio:.2f}" if ratio is not None else "") + f"; load {os.getloadavg()[0]:.1f}")

    def schema_template(self):
        """A fresh store file with exactly the client's migrations applied, in WAL mode like the client."""
        if self.template_db is None:
            self.template_db = os.path.join(self.work, "floor-template.sqlite")
            schema_dir = os.path.join(ROOT, "Schema", "client")
            sql = "".join(open(os.path.join(schema_dir, name)).read() + "\n"
                          for name in sorted(os.listdir(schema_dir)) if name.endswith(".sql"))
            run(["sqlite3", self.template_db], stdin="PRAGMA journal_mode = WAL;\n" + sql)
        return self.template_db

    # -- full sync -----------------------------------------------------------------------------------

    def full_sync(self, n, serving=False):
        with self.server(n) as server:
            db = os.path.join(self.work, f"full-{n}.sqlite")
            # An untimed first sync warms the server alike for both sides, and tells the floor which pages
            # the client fetched and which rows it stored.
            self.fresh_store(db, server.url)
            report, _, _ = self.sync(db)
            page_size = math.ceil(n / report["pages"])
            urls = self.page_chain(server, page_size)
            curl_cmd, check_pages, _ = self.curl_pages(urls, n, compressed=True)
            sqlite_run = self.sqlite_floor(db, n)
            if serving:
                self.page_serving(urls, n, server.proc.pid)
            walls, rsses, curls, sqlites = [], [], [], []
            # Ours and the floor's parts take turns within each run, so that load from other processes on
            # a shared machine falls on both sides of the ratio alike.
            for r in range(self.runs):
                self.fresh_store(db, server.url)
                report, wall, rss = self.sync(db)
                if report["pulled"] != n:
                    raise BenchFailure(f"full sync of {n} pulled {report['pulled']}")
                walls.append(wall)
                rsses.append(rss)
                curls.append(run(curl_cmd, timed=True)[1])
                check_pages()
                sqlites.append(sqlite_run())
                log(f"full sync {n}: run {r + 1}: {wall:.3f} s, {rss:.1f} MB, {report['pages']} pages; "
                    f"floor curl {curls[-1]:.3f} s + sqlite3 {sqlites[-1]:.3f} s")
        ours = statistics.median(walls)
        curl_wall, sqlite_wall = statistics.median(curls), statistics.median(sqlites)
        floor = curl_wall + sqlite_wall
        self.details[f"full_sync_{n}"] = {"runs_s": walls, "rss_mb": rsses, "page_size": page_size,
                                          "curl_runs_s": curls, "sqlite3_runs_s": sqlites}
        self.row(f"full sync {n:,} (wall)", ours, "s", floor,
                 f"curl {curl_wall:.2f} + sqlite3 {sqlite_wall:.2f}", 1.0, "≤ 1.0 × floor",
                 ours / floor, ours <= floor)
        return statistics.median(rsses)

    def page_chain(self, server, page_size):
        """The URLs of the pages a full pull with `page_size` fetches, learnt by following the token chain."""
        urls, token = [], None
        while True:
            query = {"limit": page_size} | ({"token": token} if token else {})
            url = f"{server.url}/v1/changes?{urllib.parse.urlencode(query)}"
            urls.append(url)
            with urllib.request.urlopen(url, timeout=600) as response:
                info = json.loads(response.read())["_briefing"]
            token = info["next_token"]
            if not info["has_more"]:
                return urls

    def curl_pages(self, urls, n, compressed):
        """The curl command fetching the pages the client fetched, a check of what it fetched, and the
        directory it writes them to."""
        directory = tempfile.mkdtemp(dir=self.work, prefix=f"curl-{n}-")
        config = os.path.join(directory, "pages.curl")
        with open(config, "w") as f:
            for i, url in enumerate(urls):
                f.write(f'url = "{url}"\noutput = "{directory}/page-{i}.json"\n')

        def check_pages():
            items = sum(len(json.load(open(f"{directory}/page-{i}.json"))["items"]) for i in range(len(urls)))
            if items != n:
                raise BenchFailure(f"curl floor fetched {items} items, expected {n}")

        # One curl process for every page, so it reuses one connection as the client does; --compressed
        # (for the full-sync floor) because the client also accepts gzip.
        command = ["curl", "--silent", "--show-error", "--fail", "--config", config]
        if compressed:
            command.insert(1, "--compressed")
        return command, check_pages, directory

    def page_serving(self, urls, n, server_pid):
        """How fast the mock server serves pull pages (gzip off), against nginx serving the same bytes as
        static files: one curl process fetches every page from each, in turns. Besides wall time, the
        server's own CPU time (from /proc) while it served: on a loaded machine that is the steadier rate."""
        ours_cmd, check_ours, directory = self.curl_pages(urls, n, compressed=False)
        run(ours_cmd)  # untimed: the files nginx will serve
        check_ours()
        size = sum(os.path.getsize(os.path.join(directory, f"page-{i}.json")) for i in range(len(urls)))
        with Nginx(directory, self.work) as nginx:
            copies = tempfile.mkdtemp(dir=self.work, prefix=f"nginx-{n}-")
            config = os.path.join(copies, "pages.curl")
            with open(config, "w") as f:
                for i in range(len(urls)):
                    f.write(f'url = "{nginx.url}/page-{i}.json"\noutput = "{copies}/page-{i}.json"\n')
            nginx_cmd = ["curl", "--silent", "--show-error", "--fail", "--config", config]
            ours, floor, ours_cpu, floor_cpu = [], [], [], []
            for r in range(self.runs):
                before = cpu_seconds(server_pid)
                ours.append(run(ours_cmd, timed=True)[1])
                ours_cpu.append(cpu_seconds(server_pid) - before)
                before = cpu_seconds(nginx.proc.pid)
                floor.append(run(nginx_cmd, timed=True)[1])
                floor_cpu.append(cpu_seconds(nginx.proc.pid) - before)
                log(f"pages of {n} (gzip off, {size / 1e6:.1f} MB): run {r + 1}: mock server {ours[-1]:.3f} s "
                    f"({ours_cpu[-1]:.2f} s CPU), nginx {floor[-1]:.3f} s ({floor_cpu[-1]:.2f} s CPU)")
            for i in range(len(urls)):
                if os.path.getsize(os.path.join(copies, f"page-{i}.json")) != os.path.getsize(
                        os.path.join(directory, f"page-{i}.json")):
                    raise BenchFailure(f"nginx served page {i} with another size")
        check_ours()
        ours_rate, floor_rate = size / statistics.median(ours) / 1e6, size / statistics.median(floor) / 1e6
        self.details[f"pages_{n}"] = {"bytes": size, "pages": len(urls), "mock_server_runs_s": ours,
                                      "nginx_runs_s": floor, "mock_server_cpu_s": ours_cpu, "nginx_cpu_s": floor_cpu}
        self.row(f"mock server pages, {n:,} articles, gzip off (MB/s wall)", ours_rate, "MB/s", floor_rate,
                 "nginx, same bytes as static files", 100.0, "≥ 100 MB/s", ours_rate / floor_rate, ours_rate >= 100)
        # CPU time is counted in clock ticks (10 ms): enough over 50 pages, a rough figure in a smoke run.
        ours_cpu_rate = size / max(statistics.median(ours_cpu), 0.01) / 1e6
        floor_cpu_rate = size / max(statistics.median(floor_cpu), 0.01) / 1e6
        self.row(f"mock server pages, {n:,} articles, gzip off (MB per server CPU s)", ours_cpu_rate, "MB/s",
                 floor_cpu_rate, "nginx's CPU, same bytes", 100.0, "≥ 100 MB/s", ours_cpu_rate / floor_cpu_rate,
                 ours_cpu_rate >= 100)

    def sqlite_floor(self, synced_db, n):
        """A function running (and checking) one timed sqlite3 import of the client's rows."""
        rows_path = os.path.join(self.work, f"rows-{n}.json")
        columns = ", ".join(f"'{c}', {c}" for c in ARTICLE_COLUMNS)
        stdout, _, _ = run(["sqlite3", synced_db, f"SELECT json_group_array(json_object({columns})) FROM article"])
        with open(rows_path, "w") as f:
            f.write(stdout)
        insert = (f"INSERT INTO article ({', '.join(ARTICLE_COLUMNS)}) SELECT "
                  + ", ".join(f"value ->> '{c}'" for c in ARTICLE_COLUMNS)
                  + f" FROM json_each(readfile('{rows_path}'));")

        def once():
            db = os.path.join(self.work, f"floor-{n}.sqlite")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
            shutil.copyfile(self.schema_template(), db)
            # Same durability as the client: WAL with synchronous=FULL, one transaction.
            _, wall, _ = run(["sqlite3", db], stdin=f"PRAGMA synchronous = FULL;\nBEGIN;\n{insert}\nCOMMIT;\n",
                             timed=True)
            count = run(["sqlite3", db, "SELECT count(*) FROM article_fts WHERE article_fts MATCH 'trade'"])[0]
            if int(run(["sqlite3", db, "SELECT count(*) FROM article"])[0]) != n or int(count) == 0:
                raise BenchFailure("sqlite3 floor did not insert every row with its search index")
            return wall

        return once

    # -- incremental sync, list, search -------------------------------------------------------------

    def incremental(self, n, keep_store=False):
        """Median wall time of syncing 100 content changes and 100 state changes into an n-article store."""
        with self.server(n) as server:
            db = os.path.join(self.work, f"store-{n}.sqlite")
            self.fresh_store(db, server.url)
            report, wall, _ = self.sync(db)
            log(f"store of {n}: initial full sync {wall:.2f} s")
            self.details[f"initial_sync_{n}"] = wall
            walls = self.incremental_runs(server, db, n, self.runs)
        self.details[f"incremental_{n}_runs_s"] = walls
        return statistics.median(walls), db

    def incremental_runs(self, server, db, n, runs):
        """Wall times of `runs` syncs, each of 100 content changes and 100 read marks by another device."""
        walls = []
        changes = 100
        stride = max(1, n // (2 * changes))
        for r in range(runs):
            revision = r + 2
            edited = [i * stride for i in range(changes)]
            server.admin("/admin/articles", {"items": [articles.item(i, revision) for i in edited]})
            marked = [i * stride + stride // 2 if stride > 1 else n - 1 - i for i in range(changes)]
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{r:03d}Z"
            for i in marked:
                server.admin("/admin/state", {"id": articles.item(i)["id"], "field": "read", "value": r % 2 == 0,
                                              "changed_at": stamp, "device": "bench-phone"})
            report, wall, _ = self.sync(db)
            if report["pulled"] != changes or report["states"] != changes:
                raise BenchFailure(f"incremental sync on {n} pulled {report['pulled']} articles and "
                                   f"{report['states']} states, expected {changes} each")
            walls.append(wall)
            log(f"incremental on {n}: run {r + 1}: {wall:.3f} s")
        return walls

    def read_queries(self, db, n, rows=True):
        """list and search against sqlite3 running the same SQL; returns {name: (ours, sqlite3)} medians."""
        list_sql = """
            SELECT a.handle, a.id, a.title, a.url, a.date_published, a.tags_json, a.archived,
                   coalesce(r.value, 0) AS is_read, coalesce(s.value, 0) AS is_starred
            FROM article a
            LEFT JOIN article_state r ON r.article_id = a.id AND r.field = 'read'
            LEFT JOIN article_state s ON s.article_id = a.id AND s.field = 'starred'
            WHERE coalesce(r.value, 0) = 0
            ORDER BY coalesce(a.date_published, a.received_at) DESC, a.handle DESC LIMIT 50"""
        search_sql = f"""
            SELECT a.handle, a.id, a.title, a.url, a.date_published, a.tags_json, a.archived,
                   coalesce(r.value, 0) AS is_read, coalesce(s.value, 0) AS is_starred
            FROM article_fts f JOIN article a ON a.handle = f.rowid
            LEFT JOIN article_state r ON r.article_id = a.id AND r.field = 'read'
            LEFT JOIN article_state s ON s.article_id = a.id AND s.field = 'starred'
            WHERE article_fts MATCH '{SEARCH_WORD}' ORDER BY bm25(article_fts, 10.0, 4.0, 1.0), a.handle DESC"""
        repeats = max(self.runs, 5)  # each run is milliseconds long: more of them steady the median
        medians = {}
        for name, args, sql in (("list --unread --limit 50", ["list", "--unread", "--limit", "50", "--json"], list_sql),
                                (f"search {SEARCH_WORD}", ["search", SEARCH_WORD, "--json"], search_sql)):
            ours, peer = [], []
            for _ in range(repeats):
                stdout, wall, _ = self.cli(db, *args, timed=True)
                ours.append(wall)
                expected = len(json.loads(stdout))
                stdout, wall, _ = run(["sqlite3", "-json", db, sql], timed=True)
                peer.append(wall)
                got = len(json.loads(stdout)) if stdout.strip() else 0
                if got != expected or expected == 0:
                    raise BenchFailure(f"{name}: briefing printed {expected} rows, sqlite3 {got}")
            a, b = statistics.median(ours), statistics.median(peer)
            self.details[f"{name.split()[0]}_{n}"] = {"ours_s": ours, "sqlite3_s": peer, "rows": expected}
            medians[name.split()[0]] = (a, b)
            if rows:
                self.row(f"{name} on {n:,} (wall)", a, "s", b, "sqlite3 CLI, same query", 2.0, "≤ 2 × sqlite3",
                         a / b, a <= 2 * b)
        return medians

    # -- scale -----------------------------------------------------------------------------------------

    def scale(self, n):
        """One store of n generated articles, made by a full sync, and what it costs to keep and use.

        The big steps (full sync, mark --all, the push that follows, prune) run once each: a million
        articles take minutes per step. Returns the figures the growth rows compare.
        """
        figures = {}
        with self.server(n, generated=True) as server:
            db = os.path.join(self.work, f"scale-{n}.sqlite")
            self.fresh_store(db, server.url)
            report, wall, rss = self.sync(db)
            if report["pulled"] != n:
                raise BenchFailure(f"full sync of {n} pulled {report['pulled']}")
            figures.update(sync=wall, rss=rss)
            log(f"scale {n}: full sync {wall:.1f} s, {rss:.1f} MB, {report['pages']} pages")

            urls = self.page_chain(server, math.ceil(n / report["pages"]))
            curl_cmd, check_pages, pages_dir = self.curl_pages(urls, n, compressed=True)
            curl_wall = run(curl_cmd, timed=True)[1]
            check_pages()
            json_bytes = sum(os.path.getsize(os.path.join(pages_dir, f"page-{i}.json")) for i in range(len(urls)))
            shutil.rmtree(pages_dir)
            sqlite_wall = self.sqlite_copy_floor(db, n)
            floor = curl_wall + sqlite_wall
            self.row(f"full sync {n:,} (wall)", wall, "s", floor, f"curl {curl_wall:.1f} + sqlite3 {sqlite_wall:.1f}",
                     1.0, "≤ 1.0 × floor", wall / floor, wall <= floor)
            self.row(f"full sync {n:,} (peak RSS)", rss, "MB", None, "", None, "", None, None)

            run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE)"])
            size = sum(os.path.getsize(db + suffix) for suffix in ("", "-wal") if os.path.exists(db + suffix))
            figures["bytes"] = size / n
            self.row(f"store size per article at {n:,}", size / n / 1000, "KB", json_bytes / n / 1000,
                     "JSON served per article", None, "", size / json_bytes, None)

            figures["incremental"] = statistics.median(self.incremental_runs(server, db, n, self.runs))
            self.row(f"incremental 100+100 on {n:,} (wall)", figures["incremental"], "s")
            queries = self.read_queries(db, n, rows=False)
            for name, label in (("list", "list --unread --limit 50"), ("search", f"search {SEARCH_WORD}")):
                ours, peer = queries[name]
                figures[name] = ours
                self.row(f"{label} on {n:,} (wall)", ours, "s", peer, "sqlite3 CLI, same query", 2.0,
                         "≤ 2 × sqlite3", ours / peer, ours <= 2 * peer)

            # The incremental runs had another device mark some articles read: those need no new mark.
            unread = n - int(run(["sqlite3", db, "SELECT count(*) FROM article_state WHERE field = 'read' AND value = 1"])[0])
            _, wall, _ = self.cli(db, "mark", "read", "--all", timed=True)
            self.row(f"mark read --all on {n:,}: {unread:,} marks (wall)", wall, "s")
            report, wall, rss = self.sync(db)
            if report["pushed"] != unread:
                raise BenchFailure(f"the sync after mark --all on {n} pushed {report['pushed']}, expected {unread}")
            self.row(f"sync pushing {unread:,} marks on {n:,} (wall)", wall, "s", None,
                     f"{report['push_requests']} requests")
            log(f"scale {n}: pushed {unread} marks in {wall:.1f} s, {report['push_requests']} requests, {rss:.1f} MB")

        # Prune the older half: article i was published 60*i seconds before a fixed instant.
        half = 1_795_000_000 - 60 * (n // 2)
        days = int((time.time() - half) // 86_400)
        cutoff_ms = int((time.time() - days * 86_400) * 1000)
        copy = os.path.join(self.work, f"scale-{n}-floor.sqlite")
        run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE)"])
        shutil.copyfile(db, copy)
        stdout, wall, _ = self.cli(db, "prune", "--older-than", str(days), "--vacuum", "--json", timed=True)
        pruned = json.loads(stdout)["pruned"]
        _, floor, _ = run(["sqlite3", copy], stdin=PRUNE_SQL.replace("?", str(cutoff_ms)) + "\nVACUUM;\n", timed=True)
        left = int(run(["sqlite3", copy, "SELECT count(*) FROM article"])[0])
        if pruned < n // 3 or left != n - pruned:
            raise BenchFailure(f"prune on {n}: briefing pruned {pruned}, sqlite3 left {left}")
        self.row(f"prune {pruned:,} read of {n:,} + vacuum (wall)", wall, "s", floor, "sqlite3 CLI, same SQL",
                 None, "", wall / floor, None)
        os.remove(copy)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        return figures

    def sqlite_copy_floor(self, synced_db, n):
        """sqlite3 copying the client's rows into a fresh file with the client's schema (indexes and FTS
        triggers), in one transaction: the floor's writing half at a size where a JSON export is too big."""
        db = os.path.join(self.work, f"floor-{n}.sqlite")
        shutil.copyfile(self.schema_template(), db)
        columns = ", ".join(ARTICLE_COLUMNS)
        _, wall, _ = run(["sqlite3", db], timed=True, stdin=(
            f"PRAGMA synchronous = NORMAL;\nATTACH '{synced_db}' AS synced;\nBEGIN;\n"
            f"INSERT INTO article ({columns}) SELECT {columns} FROM synced.article;\nCOMMIT;\n"))
        if int(run(["sqlite3", db, "SELECT count(*) FROM article"])[0]) != n:
            raise BenchFailure("sqlite3 floor did not copy every row")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        return wall

    # -- push ------------------------------------------------------------------------------------------

    def push(self, n):
        with self.server(n) as server:
            db = os.path.join(self.work, f"push-{n}.sqlite")
            self.fresh_store(db, server.url)
            self.sync(db)
            walls, requests = [], []
            for r in range(self.runs):
                # Alternate so every run has n real changes to push.
                self.cli(db, "mark", "unread" if r % 2 else "read", "--all")
                before = server.admin("/admin/state")
                report, wall, _ = self.sync(db)
                after = server.admin("/admin/state")
                applied = after["mutations_applied"] - before["mutations_applied"]
                if report["pushed"] != n or applied != n:
                    raise BenchFailure(f"push of {n} marks: client pushed {report['pushed']}, server applied {applied}")
                walls.append(wall)
                requests.append(report["push_requests"])
                log(f"push {n}: run {r + 1}: {wall:.3f} s in {report['push_requests']} requests")
        wall = statistics.median(walls)
        count = max(requests)
        self.details[f"push_{n}"] = {"runs_s": walls, "push_requests": requests}
        self.row(f"push {n:,} marks (requests)", count, "", None, "", 10, "≤ 10", None, count <= 10)
        self.row(f"push {n:,} marks + sync (wall)", wall, "s", None, "", 1.0, "< 1 s", None, wall < 1.0)


def table(rows):
    def number(value, unit):
        if value is None:
            return "—"
        if unit == "s":
            return f"{value:.3f} s"
        if unit == "MB":
            return f"{value:.1f} MB"
        if unit == "MB/s":
            return f"{value:.0f} MB/s"
        if unit == "KB":
            return f"{value:.2f} KB"
        if unit == "B":
            return f"{value:,.0f} B"
        if unit == "us":
            return f"{value:.0f} µs"
        return f"{value:g}"

    lines = [("figure", "ours", "floor / peer", "ratio", "target", "met?")]
    for r in rows:
        peer = number(r["peer"], r["unit"]) + (f" ({r['peer_label']})" if r["peer_label"] else "")
        if r["peer"] is None:
            peer = r["peer_label"] or "—"
        lines.append((r["figure"], number(r["ours"], r["unit"]), peer,
                      "—" if r["ratio"] is None else f"{r['ratio']:.2f}", r["target_text"],
                      "—" if r["met"] is None else ("yes" if r["met"] else "NO")))
    widths = [max(len(line[i]) for line in lines) for i in range(6)]
    out = []
    for k, line in enumerate(lines):
        out.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |")
        if k == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="directory holding briefing and briefing-mock-server")
    parser.add_argument("--mode", choices=["full", "quick", "smoke", "scale"], default="full")
    parser.add_argument("--scale-sizes", default="100000,1000000",
                        help="the two store sizes --scale compares (smaller first)")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    # A smoke run must not overwrite the results of a real one.
    args.json_path = args.json_path or os.path.join(
        ROOT, {"smoke": "bench-smoke-results.json", "scale": "bench-scale-results.json"}.get(args.mode, "bench-results.json"))

    sizes = {
        "full": dict(full=[5_000, 50_000], small=1_000, large=100_000, push=10_000, runs=3),
        "quick": dict(full=[5_000, 20_000], small=1_000, large=20_000, push=10_000, runs=3),
        "smoke": dict(full=[500], small=200, large=500, push=500, runs=2),
        "scale": dict(runs=3),
    }[args.mode]
    runs = args.runs or sizes["runs"]
    if args.mode == "scale":
        # A million-article sync, mark --all or push takes many minutes on a busy machine.
        global PROCESS_TIMEOUT
        PROCESS_TIMEOUT = 3 * 3600
    loads = [os.getloadavg()[0]]
    work = tempfile.mkdtemp(prefix="briefing-bench.")
    bench = Bench(args.bin, work, runs)
    started = time.time()
    try:
        if args.mode == "scale":
            scale(bench, [int(size) for size in args.scale_sizes.split(",")])
        else:
            default_run(bench, sizes)
    except BenchFailure as failure:
        print(f"bench: failed: {failure}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    loads.append(os.getloadavg()[0])
    print(table(bench.rows))
    result = {"mode": args.mode, "runs": runs, "seconds": round(time.time() - started, 1),
              "rows": bench.rows, "details": bench.details,
              "machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "memory_gb": memory_gb(),
                          "load_average_start_end": loads}}
    with open(args.json_path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"bench: {len(bench.rows)} figures in {result['seconds']} s on {os.cpu_count()} cores, load average "
          f"{loads[0]:.1f} at the start and {loads[1]:.1f} at the end; written to {args.json_path}", file=sys.stderr)
    return 0


def scale(bench, sizes):
    """The --scale rows: each size's figures, then the growth from the smaller store to the larger."""
    small, large = sizes
    figures = {n: bench.scale(n) for n in sizes}
    grow = f"{large // 1000:,}k / {small // 1000:,}k"
    for n in sizes:
        figures[n]["sync_per_article"] = figures[n]["sync"] / n * 1e6
    for key, label, unit, limit in (("rss", "full sync peak RSS", "MB", 1.1),
                                    ("incremental", "incremental 100+100", "s", 1.3),
                                    ("list", "list --unread --limit 50", "s", 1.3),
                                    ("search", f"search {SEARCH_WORD}", "s", None),
                                    ("sync_per_article", "full sync time per article", "us", None),
                                    ("bytes", "store size per article", "B", None)):
        a, b = figures[large][key], figures[small][key]
        ratio = a / b
        bench.row(f"growth {grow}: {label}", a, unit, b, f"at {small:,}", limit,
                  f"≤ {limit}" if limit else "", ratio, None if limit is None else ratio <= limit)


def default_run(bench, sizes):
    """The default (and --quick, --smoke) rows: the targets of everyday use."""
    rss = {n: bench.full_sync(n, serving=n == max(sizes["full"])) for n in sizes["full"]}
    for n, value in rss.items():
        limit = 100.0 if n == max(rss) and len(rss) > 1 else None
        bench.row(f"full sync {n:,} (peak RSS)", value, "MB", None, "", limit, "≤ 100 MB" if limit else "",
                  None, None if limit is None else value <= limit)
    if len(rss) > 1:
        small, large = min(rss), max(rss)
        ratio = rss[large] / rss[small]
        bench.row(f"peak RSS {large // 1000}k / {small // 1000}k", rss[large], "MB", rss[small], f"at {small:,}",
                  1.3, "≤ 1.3", ratio, ratio <= 1.3)
    small_wall, _ = bench.incremental(sizes["small"])
    large_wall, large_db = bench.incremental(sizes["large"])
    bench.row(f"incremental 100+100 on {sizes['large']:,} (wall)", large_wall, "s", small_wall,
              f"same on {sizes['small']:,}", 1.3, "≤ 1.3 × small store", large_wall / small_wall,
              large_wall / small_wall <= 1.3)
    bench.read_queries(large_db, sizes["large"])
    bench.push(sizes["push"])


def cpu_seconds(pid):
    """User + system CPU time a running process has used so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def memory_gb():
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


if __name__ == "__main__":
    sys.exit(main())
