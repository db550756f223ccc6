#!/usr/bin/env python3
"""check_report.py RESULT.h5 PAGE.html - the structure of `archrepair report`'s
page against the result file, for each result kind (found from the file's
group). Every page must parse as HTML (tags balanced) and hold nothing
external (no script, link, img, iframe, url(), http).

repair:   one <svg> per chart (means, sets, one severity curve per corruption
          with several severities, blocks), one bar per set and series in the
          sets chart with the file's accuracies, the outcome, every set name,
          the summary means, every candidate.
evaluate: charts categories, heatmap, severity-mean, one severity chart per
          category present (one line per corruption), classes; every heatmap
          cell, category bar and the outcome line equal to numpy's numbers
          from /evaluation; every set in the table with its image count and
          per-class accuracies from the confusion matrices; the JSON summary
          beside the result agrees (categories included).
localize: charts blocks (one bar per block with the file's score, only the
          chosen block highlighted), activation, layers (one bar per layer);
          the block table in ranking order with each block's statistics
          recomputed from the neurons; the examples table; the outcome; the
          JSON summary's top block and ranking.
"""
import json
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
        self.elems, self.elem_title = {}, None  # per svg: [tag, class, title, attrs]
        self.tables, self.table, self.in_cell = {}, None, False  # per table id: rows of cell texts

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for k, v in attrs:
            if v and re.search(r"(https?:|//|url\()", v) and k != "points":
                self.errors.append(f"external reference {k}={v}")
        if tag == "svg":
            self.svg = a.get("id")
            self.svgs[self.svg] = []
            self.elems[self.svg] = []
        if self.svg and tag in ("rect", "circle", "polyline", "path"):
            self.elems[self.svg].append([tag, a.get("class", ""), "", a])
            if tag != "polyline":
                self.elem_title = self.elems[self.svg][-1]
        if tag == "rect" and self.svg and a.get("class", "").startswith("bar "):
            self.svgs[self.svg].append([a["class"].split()[1], ""])
            self.bar_title = self.svgs[self.svg][-1]
        if "id" in a:
            self.cur_id.append((a["id"], len(self.text)))
        if tag == "table":
            self.table = a.get("id")
            self.tables[self.table] = []
        if tag == "tr" and self.table:
            self.tables[self.table].append([])
        if tag in ("td", "th") and self.table:
            self.tables[self.table][-1].append("")
            self.in_cell = True
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
        if tag == "table":
            self.table = None
        if tag in ("td", "th"):
            self.in_cell = False
        if tag in ("rect", "circle", "path"):
            self.bar_title = None
            self.elem_title = None
        if self.cur_id and tag in ("p", "pre", "table", "svg"):
            i, start = self.cur_id[-1]
            if i not in self.ids:
                self.ids[i] = "".join(self.text[start:])
                self.cur_id.pop()

    def handle_data(self, d):
        self.text.append(d)
        if self.bar_title is not None:
            self.bar_title[1] += d
        if self.elem_title is not None:
            self.elem_title[2] += d
        if self.in_cell:
            self.tables[self.table][-1][-1] += d


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def parse(page):
    """The page parsed; fails unless well-formed and self-contained."""
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
    if not text.startswith("<!DOCTYPE html>") or "<style>" not in text:
        fail("not a complete page with its inline stylesheet")
    return p


def s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def title_value(title):
    return float(title.rsplit(":", 1)[1])


def check_repair(res, p):
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
        geno = f["repair/genotype"].attrs["text"] if "genotype" in f["repair"] else ""
        geno = geno.decode() if isinstance(geno, bytes) else str(geno)
    # charts: means, sets, a curve per corruption with >= 2 severities, blocks
    corr = {}
    for n in names[1:]:
        corr.setdefault(n.rsplit("/", 1)[0], []).append(n)
    ncurves = sum(len(v) >= 2 for v in corr.values())
    want = (["cell"] if geno else []) + ["means", "sets"] + [f"severity-{k + 1}" for k in range(ncurves)] + \
        (["blocks"] if blocks else [])
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
    if geno:  # the cell drawn: a node per line + in and out, an arc per edge with its op
        lines = [ln for ln in geno.splitlines() if ln.startswith("n")]
        ops = [op for ln in lines for op in re.findall(r"(\w+)\((?:in|n\d+)\)", ln.split("=", 1)[1])]
        el = p.elems["cell"]
        nodes = [e for e in el if e[0] == "circle" and "gnode" in e[1]]
        edges = [e[2] for e in el if e[0] == "path" and "gedge" in e[1]]
        if len(nodes) != len(lines) + 2 or edges != ops:
            fail(f"cell graph: {len(nodes)} nodes, edges {edges}; genotype {geno!r}")
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


# docs/corruptions.md: the benchmark's four categories (extras by kind)
CATEGORIES = {
    "noise": ["gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise"],
    "blur": ["defocus_blur", "glass_blur", "motion_blur", "zoom_blur", "gaussian_blur"],
    "weather": ["snow", "frost", "fog", "brightness", "spatter"],
    "digital": ["contrast", "elastic_transform", "pixelate", "jpeg_compression", "saturate"],
}


def category(row):
    name = row.rsplit("/", 1)[-1]
    return next((c for c, names in CATEGORIES.items() if name in names), None)


def close(a, b, tol=6e-5):
    return abs(a - b) <= tol


def check_eval(res, page, p):
    with h5py.File(res, "r") as f:
        g = f["evaluation"]
        names = [s(n) for n in g["set_names"][:]]
        acc, count = g["acc"][:], g["count"][:]
        conf = g["confusion"][:]
    # the grid: rows in order of appearance, severities present
    rows, cell = [], {}
    for i, n in enumerate(names[1:], 1):
        row, sev = n.rsplit("/", 1)
        if row not in rows:
            rows.append(row)
        cell[(row, int(sev))] = acc[i]
    sevs = sorted({k[1] for k in cell})
    want = ["categories", "heatmap", "severity-mean"]
    cats = [c for c in CATEGORIES if any(category(r) == c for r in rows)]
    want += [f"severity-{c}" for c in cats] + ["classes"]
    if list(p.svgs) != want:
        fail(f"charts {list(p.svgs)}, expected {want}")
    # heatmap: every cell, the means column and row
    expect = {}
    for r in rows:
        vals = [cell[(r, v)] for v in sevs if (r, v) in cell]
        for v in sevs:
            if (r, v) in cell:
                expect[f"{r} severity {v}"] = cell[(r, v)]
        expect[f"{r} mean"] = np.mean(vals)
    for v in sevs:
        expect[f"mean over corruptions severity {v}"] = np.mean([cell[(r, v)] for r in rows if (r, v) in cell])
    clean, mean = acc[0], np.mean(acc[1:])
    expect["mean over corruptions mean"] = mean
    cells = [e for e in p.elems["heatmap"] if e[0] == "rect" and e[1] == "cell"]
    got = {e[2].rsplit(":", 1)[0]: title_value(e[2]) for e in cells}
    if set(got) != set(expect):
        fail(f"heatmap cells {sorted(got)} != {sorted(expect)}")
    for k, v in expect.items():
        if not close(got[k], v):
            fail(f"heatmap cell {k}: {got[k]} != {v:.6f}")
    # categories chart: clean, each category (mean over its sets), all corrupted
    cat_mean = {c: np.mean([cell[k] for k in cell if category(k[0]) == c]) for c in cats}
    bars = {t.rsplit(" accuracy:", 1)[0]: title_value(t) for _, t in p.svgs["categories"]}
    exp_bars = {"clean": clean, **cat_mean, "all corrupted": mean}
    if set(bars) != set(exp_bars) or any(not close(bars[k], v) for k, v in exp_bars.items()):
        fail(f"category bars {bars} != {exp_bars}")
    # severity curves: one line per corruption of the category
    for c in cats:
        lines = [e for e in p.elems[f"severity-{c}"] if e[0] == "polyline"]
        n = sum(category(r) == c for r in rows)
        if len(lines) != n:
            fail(f"severity-{c}: {len(lines)} lines for {n} corruptions")
    # outcome line and summary
    out = p.ids.get("outcome", "")
    for v in (clean, mean, mean / clean):
        if f"{v:.4f}" not in out:
            fail(f"{v:.4f} not in the outcome '{out}'")
    summary = p.ids.get("summary", "")
    for c in cats:
        if c not in summary or f"{cat_mean[c]:.4f}" not in summary:
            fail(f"category {c} {cat_mean[c]:.4f} not in the summary")
    # the set table: every set with its images and accuracy
    table = p.tables["set-table"][1:]
    want = [[n, category(n.rsplit("/", 1)[0]) or "" if i else "", n.rsplit("/", 1)[1] if i else "", str(k),
             str(int(round(a * k))), f"{a:.4f}"] for i, (n, a, k) in enumerate(zip(names, acc, count))]
    if table != want:
        fail(f"set table {table} != {want}")
    # per class, from the confusion matrices
    ctable = p.ids.get("class-table", "")
    k = conf.shape[1]
    for c in range(k):
        clean_c = conf[0, c, c] / conf[0, c].sum()
        corr = [conf[i, c, c] / conf[i, c].sum() for i in range(1, len(names)) if conf[i, c].sum()]
        if f"{clean_c:.4f}" not in ctable or f"{np.mean(corr):.4f}" not in ctable:
            fail(f"class {c}: {clean_c:.4f} / {np.mean(corr):.4f} not in the class table")
    if len(p.svgs["classes"]) != 2 * k:
        fail(f"{len(p.svgs['classes'])} class bars for {k} classes x 2")
    # the JSON summary says the same
    js = json.load(open(res[:-3] + ".json"))
    if js["kind"] != "evaluate" or not close(js["clean_acc"], clean, 1e-12):
        fail("JSON summary: kind or clean_acc")
    jc = {c["name"]: c for c in js["categories"]}
    if list(jc) != cats:
        fail(f"JSON categories {list(jc)} != {cats}")
    for c in cats:
        nrows = sum(category(r) == c for r in rows)
        nsets = sum(category(key[0]) == c for key in cell)
        if not close(jc[c]["mean_acc"], cat_mean[c], 1e-12) or jc[c]["corruptions"] != nrows or jc[c]["sets"] != nsets:
            fail(f"JSON category {c}: {jc[c]}")
    print(f"evaluate report ok: {len(p.svgs)} charts, {len(cells)} heatmap cells, {len(cats)} categories")


def check_localize(res, p):
    with h5py.File(res, "r") as f:
        g = f["localization"]
        blocks = [s(n) for n in g["block_names"][:]]
        scores = g["block_scores"][:]
        ranking = [s(n) for n in g["block_ranking"][:]]
        layers = [s(n) for n in g["layer_names"][:]]
        lblocks = [s(n) for n in g["layer_blocks"][:]]
        lscores, off = g["layer_scores"][:], g["layer_offsets"][:]
        nz = {k: g["neurons"][k][:] for k in ("suspiciousness", "act_fail", "act_pass")}
        chosen = s(g.attrs["chosen"])
        n_fail, n_pass, n_adv = (int(g.attrs[k]) for k in ("n_fail", "n_pass", "n_adv"))
    if list(p.svgs) != ["blocks", "activation", "layers"]:
        fail(f"charts {list(p.svgs)}, expected blocks, activation, layers")
    bars = [e for e in p.elems["blocks"] if e[1].startswith("bar ")]
    if len(bars) != len(blocks):
        fail(f"{len(bars)} block bars for {len(blocks)} blocks")
    for e, b, v in zip(bars, blocks, scores):
        if not e[2].startswith(b + " ") or not close(title_value(e[2]), v):
            fail(f"block bar '{e[2]}' for {b} {v}")
        if ("hl" in e[1].split()) != (b == chosen):
            fail(f"block {b}: highlighted {e[1]}, chosen {chosen}")
    if len(p.svgs["layers"]) != len(layers) or len(p.svgs["activation"]) != 2 * len(blocks):
        fail("layer / activation bar counts")
    if chosen not in p.ids.get("outcome", "") or chosen != ranking[0]:
        fail(f"chosen block {chosen} not in the outcome or not ranked first")
    ex = p.ids.get("examples", "")
    for v in (n_fail - n_adv, n_adv, n_pass):
        if str(v) not in ex:
            fail(f"{v} not in the examples table '{ex}'")
    # the block table, most suspicious first, with statistics from the neurons
    table = p.tables["block-table"][1:]
    if [r[1] for r in table] != ranking or [r[0] for r in table] != [str(k + 1) for k in range(len(ranking))]:
        fail(f"block table not in ranking order: {[r[:2] for r in table]}")
    for r in table:
        b = r[1]
        idx = [i for i, lb in enumerate(lblocks) if lb == b]
        neur = np.concatenate([np.arange(off[i], off[i + 1]) for i in idx]) if idx else np.array([], int)
        susp = nz["suspiciousness"][neur]
        top = max(idx, key=lambda i: (lscores[i], -i)) if idx else None
        want = [f"{scores[blocks.index(b)]:.6g}", str(len(idx)), str(len(neur)), layers[top] if idx else "",
                f"{susp.max():.4g}", f"{susp.mean():.4g}"]
        if r[2:8] != want or not close(float(r[10]), np.mean(nz["act_fail"][neur] / n_fail), 6e-4) or \
                not close(float(r[11]), np.mean(nz["act_pass"][neur] / n_pass), 6e-4):
            fail(f"block {b}: row {r} expected {want} ...")
    lt = p.tables["layer-table"][1:]
    order = sorted(range(len(layers)), key=lambda i: (-lscores[i], i))
    want = [[str(k + 1), layers[i], lblocks[i], str(off[i + 1] - off[i]), f"{lscores[i]:.6g}"] for k, i in enumerate(order)]
    if lt != want:
        fail(f"layer table {lt} != {want}")
    js = json.load(open(res[:-3] + ".json"))
    if js["kind"] != "localize" or js["top_block"] != chosen or [b["name"] for b in js["blocks"]] != ranking:
        fail("JSON summary: kind, top_block or ranking")
    print(f"localize report ok: {len(blocks)} blocks, {len(layers)} layers, chosen {chosen}")


def main():
    res, page = sys.argv[1], sys.argv[2]
    p = parse(page)
    with h5py.File(res, "r") as f:
        kind = next((k for k in ("repair", "evaluation", "localization") if k in f), None)
    if kind == "repair":
        check_repair(res, p)
    elif kind == "evaluation":
        check_eval(res, page, p)
    elif kind == "localization":
        check_localize(res, p)
    else:
        fail(f"{res}: no result group")


if __name__ == "__main__":
    main()
