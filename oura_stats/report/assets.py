"""The page's stylesheet and script, inlined into every report. The script only adds hover
read-outs (values taken from each chart's own data table) and a self-check that tests read;
the page is complete without it. Both are pinned by hash in the page's Content-Security-Policy,
which also forbids every network request."""

from __future__ import annotations

import base64
import hashlib

from oura_stats.report.svg import VIEW_HEIGHT, VIEW_WIDTH

STYLE = """
:root{color-scheme:light;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#111827;background:#fff}
body{max-width:1100px;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:2rem 0 .5rem;
border-bottom:1px solid #e5e7eb;padding-bottom:.25rem}h3{font-size:1rem;margin:0}
.meta{color:#4b5563;margin:.2rem 0}
nav{display:flex;flex-wrap:wrap;gap:.2rem .9rem}nav a{color:#2563eb;text-decoration:none}
table{border-collapse:collapse;font-size:.85rem;font-variant-numeric:tabular-nums}
th,td{padding:.15rem .6rem;text-align:right;border-bottom:1px solid #f3f4f6}
th:first-child,td:first-child{text-align:left;white-space:nowrap}
.fresh{overflow-x:auto}.fresh table{width:100%}.fresh td{white-space:nowrap}
.v-ok{color:#15803d}.v-stale{color:#b45309;font-weight:600}.v-failing{color:#b91c1c;font-weight:600}
figure.chart{margin:1rem 0 1.5rem;break-inside:avoid}
figcaption{display:flex;flex-wrap:wrap;gap:.2rem 1rem;align-items:baseline}
.unit{color:#6b7280;font-size:.85rem}.keys{font-size:.8rem;color:#374151}
.keys svg{width:.9rem;height:.6rem;margin:0 .2rem 0 .6rem}
.plot{display:grid;grid-template-columns:3.4rem minmax(0,1fr);grid-template-rows:16rem 1.4rem;
margin-top:.4rem}
.plot.levels{grid-template-columns:6rem minmax(0,1fr)}
.plot svg{width:100%;height:100%;display:block}.plot .ya,.plot .xa{overflow:visible}
.plot .xa{grid-column:2}.plot .pl{touch-action:pan-y}
svg text{font-size:12px;fill:#6b7280}.ya text{text-anchor:end;dominant-baseline:middle}
.xa text{text-anchor:middle}.xa .s{text-anchor:start}.xa .e{text-anchor:end}
.pl path{vector-effect:non-scaling-stroke}
svg .grid{stroke:#e5e7eb;stroke-width:1;fill:none}
svg .raw{fill:none;stroke-width:1.2;stroke-opacity:.45;stroke-linecap:round;stroke-linejoin:round}
svg .avg{fill:none;stroke-width:2.4;stroke-linecap:round;stroke-linejoin:round}
svg .band{fill-opacity:.14;stroke:none}svg .bar{fill-opacity:.8;stroke:none}
svg .guide{stroke:#111827;stroke-width:1;stroke-dasharray:3 3;visibility:hidden}
svg .guide.on{visibility:visible}
details.data summary,details summary{cursor:pointer;color:#2563eb;font-size:.85rem}
details.data .scroll,.list .scroll{max-height:22rem;overflow:auto}
.scroll{overflow-x:auto}
.empty{color:#6b7280;font-style:italic}
.list{margin-bottom:1.5rem}.list td,.list th{text-align:left}
.counts{columns:13rem;margin:.3rem 0 .7rem;padding-left:1.2rem;font-size:.9rem}
.counts .n,.kind{color:#6b7280;font-size:.8rem}
.assoc td,.assoc th{text-align:left;vertical-align:top}.assoc td.clear{font-weight:600}
.assoc small{display:block;font-size:.9em;color:#4b5563}
.note{color:#4b5563;font-size:.85rem}.odd{color:#b45309}
#tip{position:fixed;pointer-events:none;background:#111827;color:#f9fafb;padding:.35rem .55rem;
border-radius:.35rem;font-size:.8rem;white-space:pre;z-index:9}
@media (min-width:60rem){.fresh{columns:2 28rem}}
@media (max-width:40rem){body{padding:.75rem .75rem 2rem}h1{font-size:1.35rem}
.plot{grid-template-columns:2.9rem minmax(0,1fr);grid-template-rows:11.5rem 1.4rem}
th,td{padding:.15rem .4rem}
.plot.levels{grid-template-columns:5.4rem minmax(0,1fr)}.xa .alt{display:none}}
@media print{nav,#tip,details.data,.screen{display:none}
body{max-width:none;padding:0;font-size:10pt}
h2{break-after:avoid}.list .scroll{max-height:none;overflow:visible}
*{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
"""

SCRIPT = """
(function () {
  "use strict";
  var VIEW = @VIEW@, HEIGHT = @HEIGHT@;
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  var tip = document.getElementById("tip");
  function rowsOf(fig) {
    if (!fig.rowsByDay) {
      var map = new Map();
      fig.querySelectorAll("tbody tr").forEach(function (r) {
        map.set(r.cells[0].textContent, r);
      });
      fig.rowsByDay = map;
    }
    return fig.rowsByDay;
  }
  function dayAt(svg, index) {
    var d = new Date(svg.dataset.first + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + index);
    return d.toISOString().slice(0, 10);
  }
  function hide(svg) {
    tip.hidden = true;
    svg.querySelector(".guide").classList.remove("on");
  }
  function show(svg, ev) {
    var fig = svg.closest("figure"), n = +svg.dataset.days, step = +svg.dataset.step;
    var box = svg.getBoundingClientRect(), guide = svg.querySelector(".guide");
    var i = Math.floor((ev.clientX - box.left) / box.width * n);
    if (i < 0 || i >= n) { hide(svg); return; }
    var first = i - i % step, x = (first + Math.min(step, n - first) / 2) * VIEW / n;
    guide.setAttribute("d", "M" + x.toFixed(1) + " 0V" + HEIGHT);
    guide.classList.add("on");
    var day = dayAt(svg, first), row = rowsOf(fig).get(day);
    var heads = fig.querySelectorAll("thead th");
    var lines = [(step > 1 ? "week from " : "") + day + "  (" + fig.dataset.unit + ")"];
    for (var j = 1; j < heads.length; j++) {
      var cell = row ? row.cells[j].textContent : "";
      lines.push(heads[j].textContent + ": " + (cell || "no data"));
    }
    tip.textContent = lines.join("\\n");
    tip.hidden = false;
    var left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = Math.max(4, left) + "px";
    tip.style.top = Math.max(4, ev.clientY - tip.offsetHeight - 12) + "px";
  }
  document.querySelectorAll("figure.chart svg[data-days]").forEach(function (svg) {
    svg.addEventListener("pointermove", function (ev) { show(svg, ev); });
    svg.addEventListener("pointerleave", function () { hide(svg); });
  });
  var charts = document.querySelectorAll("figure.chart"), empty = [];
  charts.forEach(function (fig) {
    var points = 0;
    fig.querySelectorAll("path[data-key]").forEach(function (p) {
      points += (p.getAttribute("d").match(/[Ml]/g) || []).length;
    });
    fig.dataset.points = String(points);
    if (!points) { empty.push(fig.id); }
  });
  document.documentElement.dataset.selfcheck = errors.length ? "errors: " + errors.join("; ")
    : empty.length ? "empty: " + empty.join(" ") : "ok " + charts.length;
})();
"""
SCRIPT = SCRIPT.replace("@VIEW@", str(VIEW_WIDTH)).replace("@HEIGHT@", str(VIEW_HEIGHT))


def csp_hash(text: str) -> str:
    """The Content-Security-Policy source for an inline <style> or <script> with `text`."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {csp_hash(STYLE)}; script-src {csp_hash(SCRIPT)}; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
