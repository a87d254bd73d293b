/// The console's stylesheet and script, served from the binary at `/console/style.css` and `/console/app.js`
/// (no CDN, no external asset). The pages work without the script; it only refreshes the overview and the
/// lists in place while "Live refresh" is ticked.
enum ConsoleAssets {
    static let css = #"""
:root {
  --bg: #f6f7f9; --fg: #15191e; --muted: #4a5360; --line: #c9ced6; --card: #ffffff;
  --accent: #0b4f9c; --accent-fg: #ffffff; --ok: #1f6f3a; --warn: #8a4b00; --bad: #a4161a; --focus: #ffbf47;
}
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; background: var(--bg); color: var(--fg); line-height: 1.45; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus { outline: 3px solid var(--focus); outline-offset: 1px; }
header.top { background: #102a43; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
header.top .brand { font-weight: 700; font-size: 1.1rem; color: #fff; text-decoration: none; }
header.top nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem .75rem; }
header.top nav a { color: #dbe7f3; text-decoration: none; padding: .2rem .3rem; border-bottom: 2px solid transparent; }
header.top nav a[aria-current="page"] { color: #fff; border-bottom-color: var(--focus); }
header.top .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; font-size: .9rem; }
header.top .who form { margin: 0; }
header.top button { background: transparent; color: #fff; border: 1px solid #9fb3c8; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.25rem 0 .5rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); gap: 1rem; margin-top: 1rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; overflow-x: auto; }
.card h2 { margin-top: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem 2rem; margin: 0; }
.figures div { min-width: 6rem; }
.figures dt { color: var(--muted); font-size: .85rem; }
.figures dd { margin: 0; font-size: 1.4rem; font-weight: 650; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); font-weight: 600; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: .9em; word-break: break-all; }
pre.excerpt { white-space: pre-wrap; word-break: break-all; max-height: 8rem; overflow: auto; margin: 0; font-size: .85rem; background: #eef1f5; padding: .3rem; }
form.inline { display: inline; margin: 0; }
form.search, form.filter { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: 0 0 1rem; }
label { display: block; font-weight: 600; font-size: .9rem; }
input[type=text], input[type=password], input[type=search], select { font: inherit; padding: .4rem .5rem; border: 1px solid #69717d; border-radius: 4px; min-width: 12rem; background: #fff; color: var(--fg); }
button { font: inherit; padding: .4rem .8rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-fg); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0 1rem; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; font-weight: 650; border: 1px solid currentColor; white-space: nowrap; }
.badge.ok { color: var(--ok); } .badge.warn { color: var(--warn); } .badge.bad { color: var(--bad); } .badge.neutral { color: var(--muted); }
.notice { border-left: 4px solid var(--accent); background: #e8f0fa; padding: .5rem .75rem; margin: 0 0 1rem; }
.notice.error { border-color: var(--bad); background: #fbe9ea; }
.muted { color: var(--muted); }
.pager { margin: .75rem 0; }
ul.tabs { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem; padding: 0; margin: 0 0 1rem; border-bottom: 1px solid var(--line); }
ul.tabs a { display: inline-block; padding: .35rem .75rem; text-decoration: none; border: 1px solid transparent; border-bottom: none; border-radius: 4px 4px 0 0; }
ul.tabs a[aria-current="page"] { background: var(--card); border-color: var(--line); color: var(--fg); font-weight: 650; margin-bottom: -1px; }
.login { max-width: 26rem; margin: 3rem auto; }
.login input { width: 100%; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.live[hidden] { display: none; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart .grid { stroke: #d5dae1; stroke-width: 1; }
svg.chart text { font-size: 11px; fill: var(--muted); }
svg.chart text.label, svg.chart text.value { font-size: 13px; fill: var(--fg); }
.fill-applied { fill: #2f7d4a; } .fill-acknowledged { fill: #3d7fa6; } .fill-duplicate { fill: #6b7a90; } .fill-queued { fill: #c27c0e; } .fill-rejected { fill: #b3261e; } .fill-invalid { fill: #7b3fa0; }
.fill-bar { fill: #2b6cb0; } .fill-exception { fill: #b3261e; }
.legend { display: flex; flex-wrap: wrap; gap: .75rem; list-style: none; padding: 0; margin: .25rem 0 0; font-size: .85rem; }
.legend svg { width: .8rem; height: .8rem; vertical-align: -1px; margin-right: .25rem; }
@media (max-width: 640px) {
  header.top .who { margin-left: 0; }
  main { padding: .5rem; }
  th, td { padding: .35rem .3rem; font-size: .9rem; }
  input[type=text], input[type=password], input[type=search], select { min-width: 0; width: 100%; }
}
"""#

    static let javascript = #"""
// ParcelGate console: live refresh only. Every page works without this script.
(function () {
  "use strict";
  var main = document.querySelector("main[data-refresh]");
  var box = document.getElementById("live-refresh");
  if (!main || !box) { return; }
  var wrapper = box.closest(".live");
  if (wrapper) { wrapper.hidden = false; }
  var seconds = parseInt(main.getAttribute("data-refresh"), 10) || 15;
  box.checked = window.localStorage && localStorage.getItem("parcelgate-live") === "1";
  box.addEventListener("change", function () {
    if (window.localStorage) { localStorage.setItem("parcelgate-live", box.checked ? "1" : "0"); }
  });
  function refresh() {
    if (!box.checked || document.hidden) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { box.checked = false; return null; }
        return response.text();
      })
      .then(function (html) {
        if (!html) { return; }
        var next = new DOMParser().parseFromString(html, "text/html").querySelector("main[data-refresh]");
        var current = document.querySelector("main[data-refresh]");
        if (next && current && !current.contains(document.activeElement)) { current.replaceWith(document.importNode(next, true)); }
      })
      .catch(function () { /* the next tick tries again */ });
  }
  window.setInterval(refresh, seconds * 1000);
})();
"""#
}
