"""Serve the dashboard for real: ``streamlit run serve.py`` (scripts/run.sh and the Dockerfile do).

The same app as ``streamlit run app.py``, plus caches warmed as the server starts and deep links
that connect without failed requests (see areaprofile/serving.py).
"""

import streamlit as st

from areaprofile import allocator, nodelay, serving

allocator.compact_heap()  # before the server's threads take their own malloc arenas
nodelay.listeners_without_delay()  # Streamlit has bound its port and accepts nothing yet
serving.without_file_watchers()
serving.without_installed_component_scan()  # before st.App makes the runtime, which would search
app = st.App("app.py", lifespan=serving.lifespan, middleware=serving.middleware())
