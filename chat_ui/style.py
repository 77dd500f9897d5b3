"""The page's look: a Gradio theme with system fonts (nothing fetched from the internet), light
and dark colours as CSS variables (dark follows the system setting), the styles of the
overview, meter cards, evidence tables and incidents, and a narrow layout for phones."""

from __future__ import annotations

import gradio as gr

FONTS = ("Inter", "Segoe UI", "system-ui", "-apple-system", "Helvetica Neue", "Arial", "sans-serif")
MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

THEME = gr.themes.Soft(
    primary_hue=gr.themes.colors.teal,
    secondary_hue=gr.themes.colors.orange,
    neutral_hue=gr.themes.colors.slate,
    font=FONTS,
    font_mono=MONO,
    radius_size=gr.themes.sizes.radius_md,
).set(
    body_background_fill="#f4f6f9",
    body_background_fill_dark="#0f172a",
    block_border_width="1px",
    # Buttons whose text passes WCAG AA contrast on their fill, in both themes.
    button_primary_background_fill="#0f766e",
    button_primary_background_fill_hover="#115e59",
    button_primary_text_color="#ffffff",
    button_primary_background_fill_dark="#14b8a6",
    button_primary_background_fill_hover_dark="#2dd4bf",
    button_primary_text_color_dark="#042f2e",
    button_cancel_background_fill="#b91c1c",
    button_cancel_text_color="#ffffff",
    button_cancel_background_fill_dark="#f87171",
    button_cancel_text_color_dark="#450a0a",
    # Labels and selected choices readable on their fills (WCAG AA), in both themes.
    block_label_text_color="#115e59",
    block_label_text_color_dark="#99f6e4",
    block_label_background_fill="#ccfbf1",
    block_label_background_fill_dark="#134e4a",
    block_title_text_color="#115e59",
    block_title_text_color_dark="#99f6e4",
    block_title_background_fill="#ccfbf1",
    block_title_background_fill_dark="#134e4a",
    checkbox_label_background_fill_selected="#0f766e",
    checkbox_label_background_fill_selected_dark="#14b8a6",
    checkbox_label_text_color_selected="#ffffff",
    checkbox_label_text_color_selected_dark="#042f2e",
    # The selected tab's name and other accents, readable on the light background (the
    # theme has no dark variant of it: the CSS below sets that).
    color_accent="#0f766e",
)

HEAD = '<meta name="color-scheme" content="light dark">'

CSS = """
:root { --ems-card: #ffffff; --ems-line: #d5dde5; --ems-head: #eef3f6; --ems-text: #102a35;
  --ems-muted: #4b5b68; --ems-accent: #0f3d4c; --ems-high: #9a4a10; --ems-low: #1b5f78;
  --ems-ok: #35601f; --ems-bar: #1f6f8b; --ems-rest: #9aa7b2; }
.dark { --ems-card: #1e293b; --ems-line: #3b4a5e; --ems-head: #26344a; --ems-text: #e8eef3;
  --ems-muted: #b4c0cc; --ems-accent: #9fd3e6; --ems-high: #f6ad73; --ems-low: #8fd0ea;
  --ems-ok: #a6d98a; --ems-bar: #5fb3d3; --ems-rest: #6b7a88; }
.dark { --color-accent: #2dd4bf !important; }
.topbar { align-items: center; background: #0f3d4c; border-radius: 10px; padding: 4px 14px; }
.topbar .brand { color: #fff; font-size: 1.2rem; font-weight: 700; letter-spacing: .02em; }
.topbar .who { color: #e3eef2; text-align: right; font-size: .9rem; }
.topbar .who .site, .topbar .who b { color: #fff; font-weight: 600; }
.brand-box, .who-box { background: transparent !important; border: 0 !important; }
.role { border-radius: 999px; padding: 1px 8px; font-size: .8rem; margin-left: 4px; }
.role-viewer { background: #dbe4ea; color: #24404d; }
.role-operator { background: #ffe2c7; color: #6b3506; }
.role-admin { background: #f6c9d2; color: #6e1229; }
.logout { max-width: 110px; }
.panel-note { color: var(--ems-muted); font-size: .9rem; }
.gradio-container .label { color: var(--ems-accent) !important; }
.sidebar .thread-list label { font-size: .9rem; }
.evidence .ev-table { margin: 10px 0 14px; overflow-x: auto; max-height: 360px; overflow-y: auto; }
.evidence .ev-title { font-weight: 600; margin-bottom: 4px; color: var(--ems-accent); }
.evidence .ev-table table, .pending-write table, .ov-kpi, .ov-tree {
  border-collapse: collapse; width: 100%; font-size: .86rem; border: 0 !important;
  margin: 0; box-shadow: none !important; color: var(--ems-text); }
.evidence .ev-table thead, .evidence .ev-table tbody, .evidence .ev-table tr {
  border: 0 !important; }
.evidence .ev-table th, .ov-kpi thead th, .ov-tree thead th { position: sticky; top: 0;
  background: var(--ems-head) !important; color: var(--ems-text) !important; text-align: left;
  padding: 4px 8px; border: 0 !important; border-bottom: 1px solid var(--ems-line) !important; }
.evidence .ev-table td, .ov-kpi td, .ov-kpi tbody th, .ov-tree td, .ov-tree tbody th,
.pending-write td, .pending-write th { border: 0 !important; padding: 3px 8px;
  border-top: 1px solid var(--ems-line) !important; background: transparent !important;
  color: var(--ems-text) !important; text-align: left; font-weight: normal; }
td.num, .num { text-align: right; font-variant-numeric: tabular-nums; }
.js-plotly-plot .main-svg text {
  fill: var(--ems-text) !important; }
.dark .js-plotly-plot .gridlayer path { stroke: #334155 !important; }
.meter-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
  gap: 12px; }
.meter-card, .ov-carrier, .ov-incidents, .incident, .pending-write { background: var(--ems-card);
  color: var(--ems-text); border: 1px solid var(--ems-line); border-radius: 10px; }
.meter-card { border-left: 5px solid #9fb3c0; padding: 12px 14px; }
.meter-card.status-high { border-left-color: #e07b39; }
.meter-card.status-low { border-left-color: #1f6f8b; }
.meter-card.status-normal { border-left-color: #5b8e3e; }
.meter-name { font-weight: 600; color: var(--ems-accent); }
.meter-today { font-size: 1.5rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.meter-label, .meter-typical { color: var(--ems-muted); font-size: .82rem; }
.meter-change { font-weight: 600; margin-top: 4px; }
.status-high .meter-change { color: var(--ems-high); }
.status-low .meter-change {
  color: var(--ems-low); }
.status-normal .meter-change { color: var(--ems-ok); }
.meter-spark { display: flex; align-items: center; gap: 8px; margin-top: 6px;
  color: var(--ems-muted); font-size: .75rem; }
.ov-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr));
  gap: 14px; }
.ov-carrier, .ov-incidents { padding: 10px 14px; }
.ov-carrier h2, .ov-incidents h2 { font-size: 1.1rem; margin: 4px 0 8px;
  color: var(--ems-accent); }
.ov-carrier h2 small, .ov-incidents h2 small { color: var(--ems-muted); font-weight: normal; }
.ov-tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
  gap: 10px; }
.ov-kpi caption, .ov-tree caption, .pending-write caption { text-align: left; font-weight: 600;
  color: var(--ems-text); padding: 2px 0 4px; }
.chg.up { color: var(--ems-high); } .chg.down { color: var(--ems-ok); }
.chg.none, .chg.flat { color: var(--ems-muted); }
.ov-budget, .ov-live { margin: 8px 0 4px; }
.ov-bars figcaption { font-size: .85rem; color: var(--ems-muted); margin: 8px 0 4px; }
.ov-bars .bars { display: flex; align-items: flex-end; gap: 2px; height: 130px;
  border-bottom: 1px solid var(--ems-line); overflow-x: auto; }
.ov-bars .bar { flex: 1 1 0; min-width: 10px; height: 100%; display: flex; flex-direction: column;
  justify-content: flex-end; align-items: stretch; background: transparent; border: 0; padding: 0;
  cursor: pointer; position: relative; }
.ov-bars div.bar { cursor: default; }
.ov-bars .bar .fill { background: var(--ems-bar); border-radius: 3px 3px 0 0; display: block; }
.ov-bars .bar:hover .fill, .ov-bars .bar:focus-visible .fill { background: #e07b39; }
.ov-bars .bar:focus-visible { outline: 2px solid var(--ems-accent); }
.ov-bars .bar .lab { position: absolute; bottom: -1.4em; left: 0; font-size: .62rem;
  color: var(--ems-muted); white-space: nowrap; }
.ov-bars { margin-bottom: 1.8em; }
.ov-tree .meter-bar { display: inline-block; height: .6em; background: var(--ems-bar);
  margin-right: 6px; vertical-align: middle; max-width: 60%; }
.ov-tree tr.rest th, .ov-tree tr.rest td { font-style: italic; color: var(--ems-muted) !important; }
.ov-tree tr.rest .meter-bar { background: var(--ems-rest); }
.ov-incidents ul { margin: 0; padding-left: 1.1em; }
.sev { display: inline-block; border-radius: 999px; padding: 0 8px; font-size: .78rem;
  font-weight: 600; }
/* The pills only: an incident row carries the same sev-* class for its border colour. */
.sev.sev-critical { background: #fde2e1; color: #8c1d18; }
.sev.sev-warning { background: #ffe8d4; color: #7a3b08; }
.sev.sev-info { background: #dcebf3; color: #1a4a5e; }
.incident { border-left: 5px solid #9fb3c0; padding: 2px 12px; margin-bottom: 6px; }
.incident.sev-critical { border-left-color: #c0392b; }
.incident.sev-warning { border-left-color: #e07b39; }
.incident.sev-info { border-left-color: #1f6f8b; }
.incident summary { cursor: pointer; display: grid; align-items: center; gap: 4px 10px;
  grid-template-columns: 6.5em 8em 8em 6.5em 6.5em 10em 1fr; padding: 6px 0; }
.incident summary span:not(.sev), .incident .incident-body, .incident .incident-body p,
.incident .incident-body li { color: var(--ems-text); }
.incident summary .title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.incident .incident-body { border-top: 1px solid var(--ems-line); padding: 4px 0 8px; }
.incident h3, .incident h4 { color: var(--ems-accent); margin: 8px 0 4px; }
.incident p { margin: 6px 0; }
.timeline { margin: 0; padding-left: 1.2em; }
.timeline li { margin: 3px 0; }
.timeline li.person { font-weight: 500; }
.timeline time { color: var(--ems-muted); font-size: .82rem; margin-right: 4px; }
.timeline .changes { color: var(--ems-muted); font-size: .85rem; }
.pending-write { padding: 6px 12px; margin: 6px 0; border-left: 5px solid #e07b39; }
#incident-controls { margin: 6px 0 12px; }
#incident-result p { margin: 2px 0; }
@media (max-width: 700px) {
  .topbar { padding: 2px 8px; flex-wrap: nowrap !important; gap: 6px !important; }
  .topbar > * { min-width: 0 !important; }
  .topbar .brand-box { display: none !important; }
  .topbar .who { font-size: .72rem; text-align: left; line-height: 1.3; }
  .logout { max-width: 80px; min-width: 64px !important; }
  .ask-row { flex-direction: column; }
  #chat { height: 40vh !important; min-height: 220px; }
  .ov-grid { grid-template-columns: 1fr; }
  .incident summary { grid-template-columns: 6em 1fr 1fr; }
  .incident summary .title { grid-column: 1 / -1; white-space: normal; }
}
"""
