#!/usr/bin/env python3
"""The load test behind Tools/load: N simulated devices across M accounts, each marking and syncing in a
loop against briefing-mock-server instances, then checks exactly-once and convergence.

The devices are a lean driver, not the Briefing client: one thread per device speaking the protocol with
http.client over keep-alive connections (push with an Idempotency-Key and kept mutation ids, retried on a
dropped connection or 5xx; then pull pages until has_more is false), with a hybrid clock like the client's.
With two instances a device sends each request to the next instance in turn.

At the end every device pulls once more, and the run checks, per account:
- every mutation a device sent got exactly one judgement (`applied` or `conflict`) — none lost, none
  judged twice — and the account's counters on the server equal those judgements;
- each field's state on the server is the last-writer-wins maximum of all marks sent for it (an oracle
  independent of the server: no applied mark was lost or overwritten out of order);
- every device's local view equals its account's state on the server (converged).
"""
import argparse
import base64
import http.client
import json
import random
import statistics
import sys
import threading
import time
import uuid


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def rfc3339(ms):
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def parse_ms(text):
    # 2026-11-29T08:00:00.000Z
    base = time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
    millis = int(text[20:23]) if len(text) > 20 and text[19] == "." else 0
    import calendar
    return calendar.timegm(base) * 1000 + millis


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = {"pull": [], "push": []}
        self.retries = 0
        self.errors = []

    def record(self, endpoint, seconds):
        with self.lock:
            self.latency[endpoint].append(seconds * 1000)


class Device(threading.Thread):
    def __init__(self, index, account, token, ports, articles, stats, deadline, think, marks_per_round, seed):
        super().__init__(daemon=True)
        self.name_ = f"dev{index:04d}"
        self.account = account
        self.token = token
        self.ports = ports
        self.turn = index % len(ports)
        self.articles = articles
        self.stats = stats
        self.deadline = deadline
        self.think = think
        self.marks_per_round = marks_per_round
        self.random = random.Random(seed)
        self.connections = {}
        self.change_token = None
        self.view = {}          # (article, field) -> state dict from the server (value, changed_at, device, rev)
        self.latest_seen = 0    # hybrid clock
        self.sent = {}          # mutation_id -> (article, field, value, changed_at, device)
        self.judged = {}        # mutation_id -> status
        self.failed = None

    # --- HTTP -------------------------------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None):
        port = self.ports[self.turn]
        self.turn = (self.turn + 1) % len(self.ports)
        headers = dict(headers or {})
        headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection = self.connections.get(port)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            self.connections[port] = connection
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, data
        except (OSError, http.client.HTTPException):
            connection.close()
            self.connections.pop(port, None)
            raise

    def with_retries(self, endpoint, method, path, body=None, headers=None):
        for attempt in range(8):
            started = time.monotonic()
            try:
                status, data = self.request(method, path, body, headers)
            except (OSError, http.client.HTTPException):
                with self.stats.lock:
                    self.stats.retries += 1
                time.sleep(0.05 * (attempt + 1))
                continue
            if status in (429, 503) or status >= 500:
                with self.stats.lock:
                    self.stats.retries += 1
                time.sleep(0.05 * (attempt + 1))
                continue
            self.stats.record(endpoint, time.monotonic() - started)
            if status != 200:
                raise RuntimeError(f"{method} {path} -> {status}: {data[:200]!r}")
            return json.loads(data)
        raise RuntimeError(f"{method} {path}: gave up after retries")

    # --- protocol ---------------------------------------------------------------------------------------
    def now(self):
        wall = int(time.time() * 1000)
        stamp = max(wall, self.latest_seen + 1)
        self.latest_seen = stamp
        return stamp

    def see(self, ms):
        self.latest_seen = max(self.latest_seen, ms)

    def adopt(self, article, field, state):
        if state is None:
            return
        current = self.view.get((article, field))
        if current is None or state["rev"] >= current["rev"]:
            self.view[(article, field)] = state
        self.see(parse_ms(state["changed_at"]))

    def pull(self):
        while True:
            path = "/v1/changes" + (f"?token={self.change_token}" if self.change_token else "")
            page = self.with_retries("pull", "GET", path)
            info = page["_briefing"]
            for item in page["items"]:
                extra = item.get("_briefing", {})
                for field in ("read", "starred"):
                    self.adopt(item["id"], field, extra.get(field))
            for change in info["states"]:
                self.adopt(change["id"], change["field"], change)
            self.see(parse_ms(info["server_time"]))
            self.change_token = info["next_token"]
            if not info["has_more"]:
                return

    def push(self):
        mutations = []
        chosen = set()
        for _ in range(self.marks_per_round):
            article = self.random.choice(self.articles)
            field = self.random.choice(("read", "starred"))
            if (article, field) in chosen:
                continue
            chosen.add((article, field))
            value = self.random.random() < 0.6
            mutation_id = f"{self.name_}-{uuid.uuid4().hex[:12]}"
            changed_at = self.now()
            base = self.view.get((article, field))
            mutations.append({"mutation_id": mutation_id, "article_id": article, "field": field, "value": value,
                              "changed_at": rfc3339(changed_at), "device": self.name_,
                              "base_rev": base["rev"] if base else 0})
            self.sent[mutation_id] = (article, field, value, changed_at, self.name_)
        body = json.dumps({"mutations": mutations}).encode()
        key = uuid.uuid4().hex
        answer = self.with_retries("push", "POST", "/v1/mutations", body, {"Idempotency-Key": key})
        for result in answer["results"]:
            mutation_id = result["mutation_id"]
            if mutation_id in self.judged:
                raise RuntimeError(f"{mutation_id} answered twice in one push")
            self.judged[mutation_id] = result["status"]
            self.adopt(result["article_id"], result["field"], result.get("state"))
        self.see(parse_ms(answer["server_time"]))

    def run(self):
        try:
            self.pull()
            while time.monotonic() < self.deadline:
                self.push()
                self.pull()
                time.sleep(self.random.uniform(0, 2 * self.think))
        except Exception as error:  # reported by the main thread
            self.failed = f"{self.name_}: {error}"

    def final_pull(self):
        self.pull()


def admin(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/admin/" + path)
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"admin {path} -> {response.status}")
    return json.loads(data)


def later(a, b):
    """last-writer-wins order of (changed_at ms, device, value), as FieldState.isLater."""
    if a[0] != b[0]:
        return a[0] > b[0]
    if a[1] != b[1]:
        return a[1] > b[1]
    return a[2] and not b[2]


def check(devices, accounts, port):
    problems = []
    for account in accounts:
        members = [d for d in devices if d.account == account]
        sent = {}
        for device in members:
            sent.update(device.sent)
        judged = {}
        for device in members:
            for mutation_id, status in device.judged.items():
                judged[mutation_id] = status
        unanswered = [m for m in sent if m not in judged]
        duplicates = [m for m, status in judged.items() if status == "duplicate"]
        gone = [m for m, status in judged.items() if status == "gone"]
        if unanswered:
            problems.append(f"{account}: {len(unanswered)} mutations never answered, e.g. {unanswered[:3]}")
        if duplicates:
            problems.append(f"{account}: {len(duplicates)} first answers were `duplicate`")
        if gone:
            problems.append(f"{account}: {len(gone)} answered gone")
        state = admin(port, f"state?account={account}")
        applied = sum(1 for s in judged.values() if s == "applied")
        conflicts = sum(1 for s in judged.values() if s == "conflict")
        if state["mutations_applied"] != applied or state["mutations_conflict"] != conflicts:
            problems.append(f"{account}: server counted {state['mutations_applied']} applied / "
                            f"{state['mutations_conflict']} conflict, devices were told {applied} / {conflicts}")
        # The oracle: each field ends at the last-writer-wins maximum of every mark sent for it.
        expected = {}
        for article, field, value, changed_at, device in sent.values():
            key = (article, field)
            candidate = (changed_at, device, value)
            if key not in expected or later(candidate, expected[key]):
                expected[key] = candidate
        server = {}
        for article in state["articles"]:
            for field in ("read", "starred"):
                record = article.get(field)
                if record:
                    server[(article["id"], field)] = (parse_ms(record["changed_at"]), record["device"], record["value"])
        if server != expected:
            wrong = [k for k in set(server) | set(expected) if server.get(k) != expected.get(k)]
            problems.append(f"{account}: {len(wrong)} fields differ from the last-writer-wins oracle, e.g. "
                            f"{[(k, server.get(k), expected.get(k)) for k in wrong[:2]]}")
        for device in members:
            view = {k: (parse_ms(v["changed_at"]), v["device"], v["value"]) for k, v in device.view.items()}
            if view != server:
                wrong = [k for k in set(view) | set(server) if view.get(k) != server.get(k)]
                problems.append(f"{device.name_} ({account}) did not converge: {len(wrong)} fields differ")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--ports", required=True, help="comma-separated instance ports")
    parser.add_argument("--tokens", required=True, help="JSON file: [[account, token], ...] one per device")
    parser.add_argument("--articles", required=True, help="JSON file: article ids")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a device's rounds (s)")
    parser.add_argument("--marks", type=int, default=5, help="marks per push")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", help="append the result as one JSON line to this file")
    args = parser.parse_args()

    ports = [int(p) for p in args.ports.split(",")]
    pairs = json.load(open(args.tokens))
    articles = json.load(open(args.articles))
    accounts = sorted({account for account, _ in pairs})
    stats = Stats()
    started = time.monotonic()
    deadline = started + args.seconds
    devices = [Device(i, account, token, ports, articles, stats, deadline, args.think, args.marks, args.seed * 100003 + i)
               for i, (account, token) in enumerate(pairs)]
    for device in devices:
        device.start()
    for device in devices:
        device.join(args.seconds + 120)
    elapsed = time.monotonic() - started
    failures = [d.failed for d in devices if d.failed]
    for device in devices:
        if not device.failed:
            try:
                device.final_pull()
            except Exception as error:
                failures.append(f"{device.name_} final pull: {error}")
    problems = failures + check(devices, accounts, ports[0])
    mutations = sum(len(d.sent) for d in devices)
    result = {
        "label": args.label, "devices": len(devices), "accounts": len(accounts), "instances": len(ports),
        "seconds": round(elapsed, 1), "mutations": mutations, "mutations_per_s": round(mutations / elapsed, 1),
        "retries": stats.retries, "problems": len(problems),
    }
    for endpoint, values in stats.latency.items():
        result[f"{endpoint}_requests"] = len(values)
        result[f"{endpoint}_per_s"] = round(len(values) / elapsed, 1)
        result[f"{endpoint}_p50_ms"] = round(percentile(values, 0.50), 1)
        result[f"{endpoint}_p99_ms"] = round(percentile(values, 0.99), 1)
    print(json.dumps(result))
    for problem in problems[:20]:
        print(f"Tools/load: {args.label}: {problem}", file=sys.stderr)
    if args.json:
        with open(args.json, "a") as out:
            out.write(json.dumps(result) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
