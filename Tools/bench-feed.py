#!/usr/bin/env python3
"""The plain-feed rows of Tools/bench (imported by Tools/bench.py; run Tools/bench, not this file).

`briefing sync` of a plain JSON Feed served by `python3 -m http.server` on 127.0.0.1, measured against
- the floor: curl fetching the same file, plus the sqlite3 CLI inserting the same items into the client's
  own tables with json_each, in one transaction with the client's durability (WAL, synchronous = FULL);
- Newsboat (Debian's `newsboat`): the same items as RSS 2.0 from the same server, `newsboat -x reload` with
  a fresh cache and a config of its own;
and a large generated feed (about 200 MB) synced with `--max-feed-mb 256`, whose peak RSS must stay bounded.
"""
import datetime
import email.utils
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from xml.sax.saxutils import escape


class FeedServer:
    """`python3 -m http.server` serving one directory on a free 127.0.0.1 port, stopped on exit."""

    def __init__(self, directory):
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1",
                                      "--directory", directory],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env=dict(os.environ, PYTHONUNBUFFERED="1"))
        # "Serving HTTP on 127.0.0.1 port 43211 (http://127.0.0.1:43211/) ..."
        line = self.proc.stdout.readline()
        port = int(line.split(" port ")[1].split()[0])
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 10
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def rss(feed):
    """The JSON Feed's items as an RSS 2.0 document, field for field."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>',
           f"<title>{escape(feed['title'])}</title><link>https://news.example/</link><description>Benchmark</description>"]
    for item in feed["items"]:
        published = email.utils.format_datetime(
            datetime.datetime.strptime(item["date_published"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc),
            usegmt=True)
        out.append("<item>"
                   f"<title>{escape(item['title'])}</title><link>{escape(item['url'])}</link>"
                   f"<guid>{escape(item['id'])}</guid><pubDate>{published}</pubDate>"
                   f"<author>{escape(item['authors'][0]['name'])}</author>"
                   + "".join(f"<category>{escape(tag)}</category>" for tag in item["tags"])
                   + f"<description>{escape(item['content_html'])}</description></item>")
    out.append("</channel></rss>\n")
    return "".join(out)


class PlainFeedBench:
    def __init__(self, bench, run, log, failure, articles):
        self.bench = bench
        self.run = run
        self.log = log
        self.failure = failure
        self.articles = articles

    def directory(self, name):
        path = os.path.join(self.bench.work, name)
        os.makedirs(path, exist_ok=True)
        return path

    def sync_fresh(self, db, url, *init_args):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        self.bench.cli(db, "init", "--server", url, "--device", "bench-laptop", *init_args)
        stdout, wall, rss = self.bench.cli(db, "sync", "--json", timed=True)
        return json.loads(stdout), wall, rss

    def floor_insert_sql(self, feed_path):
        """sqlite3 inserting the feed's items into the client's article table (search index by its triggers)."""
        return f"""PRAGMA synchronous = FULL;
BEGIN;
INSERT INTO article (id, url, title, summary, content_html, body_text, date_published, authors_json, tags_json,
                     language, revision, received_at)
SELECT value ->> 'id', value ->> 'url', value ->> 'title', value ->> 'summary', value ->> 'content_html',
       value ->> 'content_html', unixepoch(value ->> 'date_published') * 1000, json(value -> 'authors'),
       json(value -> 'tags'), value ->> 'language', unixepoch(value ->> 'date_published') * 1000,
       unixepoch('now') * 1000
FROM json_each(readfile('{feed_path}'), '$.items');
COMMIT;
"""

    def compare(self, n):
        """Wall time against the floor, and peak RSS against Newsboat, for an n-item feed."""
        served = self.directory(f"plain-feed-{n}")
        feed = self.articles.feed(n)
        feed_path = os.path.join(served, "feed.json")
        with open(feed_path, "w", encoding="utf-8") as f:
            json.dump(feed, f, ensure_ascii=False, separators=(",", ":"))
        with open(os.path.join(served, "feed.rss"), "w", encoding="utf-8") as f:
            f.write(rss(feed))
        size_kb = os.path.getsize(feed_path) / 1024
        del feed
        newsboat = shutil.which("newsboat")
        db = os.path.join(self.bench.work, f"plain-{n}.sqlite")
        fetched = os.path.join(self.bench.work, f"plain-{n}-curl.json")
        floor_db = os.path.join(self.bench.work, f"plain-{n}-floor.sqlite")
        nb_home = self.directory(f"newsboat-{n}")
        walls, rsses, curls, sqlites, nb_walls, nb_rsses = [], [], [], [], [], []
        with FeedServer(served) as server:
            with open(os.path.join(nb_home, "urls"), "w") as f:
                f.write(server.url + "/feed.rss\n")
            with open(os.path.join(nb_home, "config"), "w") as f:
                f.write("max-items 0\nsuppress-first-reload yes\n")
            for r in range(self.bench.runs):
                report, wall, rss_mb = self.sync_fresh(db, server.url + "/feed.json")
                if report["pulled"] != n or report["warning_count"] != 0:
                    raise self.failure(f"plain feed sync of {n} pulled {report['pulled']} with {report['warning_count']} warnings")
                walls.append(wall)
                rsses.append(rss_mb)
                curls.append(self.run(["curl", "--silent", "--show-error", "--fail", "--compressed", "-o", fetched,
                                       server.url + "/feed.json"], timed=True)[1])
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(floor_db + suffix):
                        os.remove(floor_db + suffix)
                shutil.copyfile(self.bench.schema_template(), floor_db)
                sqlites.append(self.run(["sqlite3", floor_db], stdin=self.floor_insert_sql(fetched), timed=True)[1])
                count = int(self.run(["sqlite3", floor_db, "SELECT count(*) FROM article"])[0])
                if count != n:
                    raise self.failure(f"sqlite3 floor inserted {count} of {n} items")
                if newsboat:
                    cache = os.path.join(nb_home, "cache.db")
                    for name in os.listdir(nb_home):
                        if name.startswith("cache.db"):
                            os.remove(os.path.join(nb_home, name))
                    _, nb_wall, nb_rss = self.run([newsboat, "-x", "reload", "-u", os.path.join(nb_home, "urls"),
                                                   "-c", cache, "-C", os.path.join(nb_home, "config")],
                                                  env=dict(os.environ, HOME=nb_home), timed=True)
                    stored = int(self.run(["sqlite3", cache, "SELECT count(*) FROM rss_item"])[0])
                    if stored != n:
                        raise self.failure(f"newsboat stored {stored} of {n} items")
                    nb_walls.append(nb_wall)
                    nb_rsses.append(nb_rss)
                self.log(f"plain feed {n}: run {r + 1}: {wall:.3f} s, {rss_mb:.1f} MB; floor curl {curls[-1]:.3f} s + "
                         f"sqlite3 {sqlites[-1]:.3f} s" + (f"; newsboat {nb_walls[-1]:.3f} s, {nb_rsses[-1]:.1f} MB" if newsboat else ""))
        ours, ours_rss = statistics.median(walls), statistics.median(rsses)
        curl_wall, sqlite_wall = statistics.median(curls), statistics.median(sqlites)
        floor = curl_wall + sqlite_wall
        self.bench.details[f"plain_feed_{n}"] = {"feed_kb": round(size_kb), "runs_s": walls, "rss_mb": rsses,
                                                  "curl_runs_s": curls, "sqlite3_runs_s": sqlites,
                                                  "newsboat_runs_s": nb_walls, "newsboat_rss_mb": nb_rsses}
        self.bench.row(f"plain feed {n:,} (wall)", ours, "s", floor, f"curl {curl_wall:.2f} + sqlite3 {sqlite_wall:.2f}",
                       1.5, "≤ 1.5 × floor", ours / floor, ours <= 1.5 * floor)
        if newsboat:
            nb_rss, nb_wall = statistics.median(nb_rsses), statistics.median(nb_walls)
            self.bench.row(f"plain feed {n:,} (peak RSS)", ours_rss, "MB", nb_rss, "Newsboat -x reload", 0.8,
                           "≤ 0.8 × Newsboat", ours_rss / nb_rss, ours_rss <= 0.8 * nb_rss)
            self.bench.row(f"plain feed {n:,} vs Newsboat (wall)", ours, "s", nb_wall, "Newsboat -x reload", None, "",
                           ours / nb_wall, None)
        else:
            self.log("newsboat not installed: no Newsboat comparison (Tools/setup newsboat installs it)")

    def large(self, target_mb=200, limit_mb=60.0):
        """A generated feed of about `target_mb` MB, synced with --max-feed-mb 256: peak RSS below `limit_mb`."""
        served = self.directory("plain-feed-large")
        feed_path = os.path.join(served, "feed.json")
        n = int(target_mb * 1_000_000 / 1_450)
        # In a child process, so this one stays small while it forks the measured commands.
        self.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-articles.py"),
                  str(n), feed_path])
        size_mb = os.path.getsize(feed_path) / 1_000_000
        db = os.path.join(self.bench.work, "plain-large.sqlite")
        with FeedServer(served) as server:
            report, wall, rss_mb = self.sync_fresh(db, server.url + "/feed.json", "--max-feed-mb", "256")
        if report["pulled"] != n:
            raise self.failure(f"large plain feed sync pulled {report['pulled']} of {n}")
        self.log(f"plain feed of {size_mb:.0f} MB ({n:,} items): {wall:.1f} s, peak RSS {rss_mb:.1f} MB")
        self.bench.details["plain_feed_large"] = {"feed_mb": round(size_mb, 1), "items": n, "wall_s": wall, "rss_mb": rss_mb}
        self.bench.row(f"plain feed {size_mb:.0f} MB (peak RSS)", rss_mb, "MB", None, f"{n:,} items, {wall:.0f} s",
                       limit_mb, f"< {limit_mb:g} MB", None, rss_mb < limit_mb)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        os.remove(feed_path)
