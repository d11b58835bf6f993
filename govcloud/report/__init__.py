"""Rendering of the city report and of the check's findings: HTML (jinja2), rich text, JSON."""
from govcloud.report.html import render_findings_html, render_report_html
from govcloud.report.result import DepartmentRow, FindingCounts, ReportedRule, ReportResult, build_report
from govcloud.report.text import render_text

__all__ = [
    "DepartmentRow", "FindingCounts", "ReportResult", "ReportedRule", "build_report",
    "render_findings_html", "render_report_html", "render_text",
]
