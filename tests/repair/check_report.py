#!/usr/bin/env python3
"""check_report.py RESULT.h5 PAGE.html - the structure of `archrepair report`'s
page against the result file: it parses as HTML (tags balanced), has one
<svg> per chart (means, sets, one severity curve per corruption with several
severities, blocks), one bar per set and series in the sets chart with the
file's accuracies, the outcome, every set name, the summary means, every
candidate, and nothing external (no script, link, img, iframe, url(), http)."""
import re
import sys
from html.parser import HTMLParser

import h5py
import numpy as np

VOID = {"meta", "br", "img", "link", "input", "hr"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.svgs, self.tags = [], [], {}, set()
        self.svg = None  # id of the open <svg>
        self.bar_title = None
        self.ids, self.text, self.cur_id = {}, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for k, v in attrs:
            if v and re.search(r"(https?:|//|url\()", v) and k != "points":
                self.errors.append(f"external reference {k}={v}")
        if tag == "svg":
            self.svg = a.get("id")
            self.svgs[self.svg] = []
        if tag == "rect" and self.svg and a.get("class", "").startswith("bar "):
            self.svgs[self.svg].append([a["class"].split()[1], ""])
            self.bar_title = self.svgs[self.svg][-1]
        if "id" in a:
            self.cur_id.append((a["id"], len(self.text)))
        if tag not in VOID and not self.startendtag_pending:
            self.stack.append(tag)

    startendtag_pending = False

    def handle_startendtag(self, tag, attrs):
        self.startendtag_pending = True
        self.handle_starttag(tag, attrs)
        self.startendtag_pending = False

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag == "svg":
            self.svg = None
        if tag == "rect":
            self.bar_title = None
        if self.cur_id and tag in ("p", "pre", "table", "svg"):
            i, start = self.cur_id[-1]
            if i not in self.ids:
                self.ids[i] = "".join(self.text[start:])
                self.cur_id.pop()

    def handle_data(self, d):
        self.text.append(d)
        if self.bar_title is not None:
            self.bar_title[1] += d


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    res, page = sys.argv[1], sys.argv[2]
    text = open(page, encoding="utf-8").read()
    p = Page()
    p.feed(text)
    p.close()
    if p.errors:
        fail("; ".join(p.errors[:5]))
    if p.stack:
        fail(f"unclosed tags {p.stack}")
    bad = p.tags & {"script", "link", "img", "iframe", "object", "embed"}
    if bad or re.search(r"https?:|url\(", text):
        fail(f"external resources or scripts: {bad}")
    with h5py.File(res, "r") as f:
        names = [s.decode() for s in f["repair/metrics/set_names"][:]]
        before, after = f["repair/metrics/acc_before"][:], f["repair/metrics/acc_after"][:]
        held = f["repair/metrics/held_out"][:]
        outcome = f["repair"].attrs["outcome"]
        outcome = outcome.decode() if isinstance(outcome, bytes) else str(outcome)
        chosen = f["repair/blocks"].attrs["chosen"]
        chosen = chosen.decode() if isinstance(chosen, bytes) else str(chosen)
        blocks = [s.decode() for s in f["repair/blocks/names"][:]]
        cand_blocks = [s.decode() for s in f["repair/candidates/block"][:]]
        cand_status = [s.decode() for s in f["repair/candidates/status"][:]]
    # charts: means, sets, a curve per corruption with >= 2 severities, blocks
    corr = {}
    for n in names[1:]:
        corr.setdefault(n.rsplit("/", 1)[0], []).append(n)
    ncurves = sum(len(v) >= 2 for v in corr.values())
    want = ["means", "sets"] + [f"severity-{k + 1}" for k in range(ncurves)] + (["blocks"] if blocks else [])
    if list(p.svgs) != want:
        fail(f"charts {list(p.svgs)}, expected {want}")
    if ncurves == 0:
        fail("the test job should have several severities per corruption")
    bars = p.svgs["sets"]
    if len(bars) != 2 * len(names):
        fail(f"{len(bars)} bars in the sets chart for {len(names)} sets x 2")
    for k, (series, acc) in enumerate((("s0", before), ("s1", after))):
        got = [b for b in bars if b[0] == series]
        if len(got) != len(names):
            fail(f"{len(got)} {series} bars for {len(names)} sets")
        for (s, title), n, a in zip(got, names, acc):
            if not title.startswith(n + " ") or abs(float(title.rsplit(":", 1)[1]) - a) > 6e-5:
                fail(f"bar '{title}' for set {n} accuracy {a:.4f}")
    if len(p.svgs["blocks"]) != len(blocks):
        fail(f"{len(p.svgs['blocks'])} block bars for {len(blocks)} blocks")
    out = p.ids.get("outcome", "")
    if outcome not in out or (chosen and chosen not in out):
        fail(f"outcome '{outcome}' / block '{chosen}' not in '{out}'")
    for n in names:
        if n not in p.ids.get("set-table", ""):
            fail(f"set {n} not in the table")
    summary = p.ids.get("summary", "")
    inpool = [i for i in range(1, len(names)) if not held[i]]
    heldout = [i for i in range(1, len(names)) if held[i]]
    for label, idx in (("in-pool mean", inpool), ("held-out mean", heldout)):
        for acc in (before, after):
            v = f"{np.mean(acc[idx]):.4f}"
            if v not in summary:
                fail(f"{label} {v} not in the summary: {summary}")
    ctable = p.ids.get("candidates", "")
    if ctable.count("pruned") + ctable.count("chosen") + ctable.count("kept") != len(cand_status):
        fail(f"candidates table does not list {len(cand_status)} candidates")
    for b in cand_blocks:
        if b not in ctable:
            fail(f"candidate block {b} missing")
    print(f"report ok: {len(p.svgs)} charts, {len(bars)} set bars, {len(names)} sets, outcome {outcome}")


main()
