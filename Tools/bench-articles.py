#!/usr/bin/env python3
"""Deterministic benchmark articles for Tools/bench: N JSON Feed items of about 1.5 KB with HTML bodies.

Usage: Tools/bench-articles.py N OUT.json [--seed S]
The same N and seed always give byte-identical output, so every run of the benchmark serves the same feed.
Also importable: `item(i, revision)` builds one item (Tools/bench edits articles with it).
"""
import json
import random
import sys
import time

# A fixed vocabulary keeps bodies tokenisable into realistic FTS entries; "quasar" is rare on purpose:
# it is the word `briefing search` looks for, so the search returns a few hundred hits on 100k articles.
WORDS = """trade tariff market energy climate transit rail budget council harbour grain canola steel
aluminium wind solar grid battery election minister parliament court ruling health clinic vaccine school
teacher union strike wage housing rent mortgage bank rate inflation export import port shipping freight
river flood drought wildfire forest salmon fishery mine copper nickel lithium refinery pipeline carbon
emission satellite launch research university museum festival theatre novel film league match season
coach striker goal record drought harvest farmer price supply demand contract tender bridge highway
""".split()
RARE = "quasar"
SECTIONS = ["world", "business", "climate", "science", "health", "sport", "culture", "transport"]


def sentence(rng, words):
    chosen = [rng.choice(WORDS) for _ in range(words)]
    chosen[0] = chosen[0].capitalize()
    return " ".join(chosen) + "."


def item(i, revision=1):
    """Article i (0-based) at a content revision: later revisions change title and body deterministically."""
    rng = random.Random(i * 7919 + revision)
    paragraphs = []
    for p in range(5):
        text = " ".join(sentence(rng, rng.randint(9, 14)) for _ in range(2))
        if p == 1:
            text = f'{text} <a href="https://news.example/ref/{i}-{p}">Read <em>more</em></a> &amp; compare.'
        if p == 2 and i % 211 == 0:
            text += f" The {RARE} report follows."
        paragraphs.append(f"<p>{text}</p>")
    body = "<h2>" + sentence(rng, 6) + "</h2>\n" + "\n".join(paragraphs)
    # Newest first by index, a minute apart, from a fixed instant: no wall clock, so runs are identical.
    published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_795_000_000 - 60 * i))
    section = SECTIONS[i % len(SECTIONS)]
    title = sentence(rng, 7)[:-1]
    if revision > 1:
        title += f" (update {revision})"
    return {
        "id": f"https://news.example/{section}/{i:07d}",
        "url": f"https://news.example/{section}/{i:07d}",
        "title": title,
        "summary": sentence(rng, 18),
        "content_html": body,
        "date_published": published,
        "authors": [{"name": f"Reporter {i % 97}"}],
        "tags": [section, rng.choice(WORDS)],
        "language": "en",
    }


def feed(n):
    return {"version": "https://jsonfeed.org/version/1.1", "title": "Benchmark", "items": [item(i) for i in range(n)]}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(feed(int(sys.argv[1])), out, ensure_ascii=False, separators=(",", ":"))
