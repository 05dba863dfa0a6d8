"""datamill dashboards: `datamill --store PATH dashboard` (or `streamlit run dashboards/app.py -- --store PATH`).

One Streamlit multipage app over the store's DuckDB catalog (read-only connections; audits go through
datamill.audits). Each page is a module in dashboards/views with load() → compute() → render().
The folder is deliberately not named `pages/`: Streamlit treats a `pages/` folder beside the main script as a
legacy multipage app, and a deep link (/browse?id=…) opened before anyone loaded "/" then runs the page
without this file (no st.navigation, no page config) — seen in headless Chromium. Every page has its own path
(/overview, /browse, …, listed in docs/dashboards.md); "/" opens /overview.
"""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without `pip install -e`

from dashboards.common import md, store_root

PAGES = [
    ("views/overview.py", "Overview", "overview", ":material/bar_chart:"),
    ("views/browse.py", "Browse", "browse", ":material/search:"),
    ("views/audit.py", "Audit", "audit", ":material/fact_check:"),
    ("views/verification.py", "Verification", "verification", ":material/science:"),
    ("views/curation.py", "Curation", "curation", ":material/cleaning_services:"),
    ("views/long_context.py", "Long context", "long_context", ":material/straighten:"),
    ("views/mixtures.py", "Mixtures", "mixtures", ":material/blender:"),
]

st.set_page_config(page_title="datamill", page_icon=":material/factory:", layout="wide")
here = Path(__file__).parent
pages = [st.Page(str(here / path), title=title, url_path=url, icon=icon) for path, title, url, icon in PAGES]


def home() -> None:
    # Streamlit serves its default page at "/" only: a default Overview made /overview "Page not found" (issue 20
    # item 15). So "/" is this hidden page that opens the Overview under its own path, and every page has one.
    st.switch_page(pages[0])


nav = st.navigation(
    [st.Page(home, title="Overview", url_path="home", default=True, visibility="hidden"), *pages]
)
st.sidebar.caption(f"store: {md(store_root())}")
nav.run()
