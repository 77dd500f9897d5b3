"""The page's look: a Gradio theme with system fonts (nothing fetched from the internet) and the
styles of the meter cards, evidence tables and incidents."""

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
).set(body_background_fill="#f4f6f9", block_border_width="1px")

CSS = """
.topbar { align-items: center; background: #0f3d4c; border-radius: 10px; padding: 6px 14px; }
.topbar .brand { color: #fff; font-size: 1.25rem; font-weight: 700; letter-spacing: .02em; }
.topbar .who { color: #d6e6ec; text-align: right; font-size: .95rem; }
.topbar .who .site, .topbar .who b { color: #fff; font-weight: 600; }
.brand-box, .who-box { background: transparent !important; border: 0 !important; }
.role { border-radius: 999px; padding: 1px 8px; font-size: .8rem; margin-left: 4px; }
.role-viewer { background: #dbe4ea; color: #24404d; }
.role-operator { background: #ffe2c7; color: #7a3d08; }
.role-admin { background: #f6c9d2; color: #7a1530; }
.logout { max-width: 110px; }
.sidebar .thread-list label { font-size: .9rem; }
.evidence .ev-table { margin: 10px 0 14px; overflow-x: auto; max-height: 360px; overflow-y: auto; }
.evidence .ev-title { font-weight: 600; margin-bottom: 4px; color: #0f3d4c; }
.evidence .ev-table table { border-collapse: collapse; width: 100%; font-size: .86rem;
  border: 0 !important; margin: 0; box-shadow: none !important; }
.evidence .ev-table thead, .evidence .ev-table tbody, .evidence .ev-table tr {
  border: 0 !important; }
.evidence .ev-table th { position: sticky; top: 0; background: #eef3f6; text-align: left;
  padding: 4px 8px; border: 0 !important; border-bottom: 1px solid #cfd8e0 !important; }
.evidence .ev-table td { border: 0 !important; border-top: 1px solid #e3e8ee !important;
  padding: 3px 8px; }
.evidence .ev-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.panel-note { color: #5b6b78; font-size: .9rem; }
.meter-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
  gap: 12px; }
.meter-card { background: #fff; border: 1px solid #dde3ea; border-left: 5px solid #9fb3c0;
  border-radius: 10px; padding: 12px 14px; }
.meter-card.status-high { border-left-color: #e07b39; }
.meter-card.status-low { border-left-color: #1f6f8b; }
.meter-card.status-normal { border-left-color: #5b8e3e; }
.meter-name { font-weight: 600; color: #0f3d4c; }
.meter-today { font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.meter-label, .meter-typical { color: #5b6b78; font-size: .82rem; }
.meter-change { font-weight: 600; margin-top: 4px; }
.status-high .meter-change { color: #b35614; }
.status-low .meter-change { color: #1f6f8b; }
.status-normal .meter-change { color: #3f6e27; }
.meter-spark { display: flex; align-items: center; gap: 8px; margin-top: 6px; color: #8a99a6;
  font-size: .75rem; }
.incident { background: #fff; border: 1px solid #dde3ea; border-left: 5px solid #9fb3c0;
  border-radius: 10px; padding: 4px 16px 8px; margin-bottom: 12px; }
.incident.sev-critical { border-left-color: #c0392b; }
.incident.sev-warning { border-left-color: #e07b39; }
.incident.sev-info { border-left-color: #1f6f8b; }
.incident.state-resolved { opacity: .75; }
.incident h3 { color: #0f3d4c; margin: 8px 0 4px; }
.incident p { margin: 6px 0; }
#incident-controls { margin: 6px 0 12px; }
#incident-result p { margin: 2px 0; }
"""
