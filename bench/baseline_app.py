"""The naive baseline dashboard (see bench/baseline.py): `streamlit run bench/baseline_app.py`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline  # noqa: E402

baseline.app()
