"""The dashboard's pages: URL path, title, the question each answers, and the script that renders it.

One list shared by the app's navigation, the tests (AppTest and the real browser) and the benchmark, so a page
added here is opened by all of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    url_path: str  # http://host:port/<url_path>
    title: str  # the page's st.title and its name in the navigation
    question: str  # the one question the page answers, shown under the title
    script: str  # relative to dashboards/
    icon: str

    @property
    def href(self) -> str:
        """The page's path in the app's URL: Streamlit serves the default (first) page at "/" only."""
        return "" if self == PAGES[0] else self.url_path


PAGES: tuple[PageSpec, ...] = (
    PageSpec("scorecard", "Scorecard", "Where do we stand on each of the twelve attributes?",
             "views/scorecard.py", ":material/dashboard:"),
    PageSpec("attribute", "Attribute detail", "Which KPIs move an attribute's score, over time and by agency?",
             "views/attribute.py", ":material/insights:"),
    PageSpec("savings", "Savings", "How much did procurement save, and by which method?",
             "views/savings.py", ":material/savings:"),
    PageSpec("cycle-times", "Cycle times", "How long does each step from requisition to payment take?",
             "views/cycle_times.py", ":material/timer:"),
    PageSpec("compliance", "Compliance and red flags", "Which transactions need a second look, and why?",
             "views/compliance.py", ":material/flag:"),
    PageSpec("cooperative", "Cooperative purchasing", "Who buys through NASPO ValuePoint and other programmes, at what discount?",
             "views/cooperative.py", ":material/handshake:"),
    PageSpec("contracts", "Contracts expiring", "Which contracts end within 180 days, and is a successor in place?",
             "views/contracts.py", ":material/event:"),
    PageSpec("data-quality", "Data quality", "Can these numbers be trusted: what was published, checked and quarantined?",
             "views/data_quality.py", ":material/verified:"),
)
