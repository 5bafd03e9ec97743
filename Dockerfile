# syntax=docker/dockerfile:1
# areaprofile as one container: the dashboard (streamlit run serve.py) on port 8501, as a non-root
# user, with the store and the register on the /data volume. compose.yaml puts nginx in front.

# The map's JavaScript and CSS, from the npm registry, checked against the pins in fetch_assets.sh
# (which also copies folium's heat-map plugin out of a venv: hence folium here).
FROM python:3.11-slim-bookworm AS assets
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.txt requirements.txt
COPY scripts/fetch_assets.sh scripts/fetch_assets.sh
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir -q "$(grep '^folium==' requirements.txt)" \
    && bash scripts/fetch_assets.sh

FROM python:3.11-slim-bookworm
# Pango and HarfBuzz for the PDF pack (WeasyPrint) and the fonts the pack names.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-liberation fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# Compiled bytecode: every process (the server, the pack worker, the CLI) starts without
# recompiling pandas & co. (a fresh server's first map 8 s -> 5 s before the other changes).
ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    AREAPROFILE_STORE=/data/store/areaprofile.duckdb \
    AREAPROFILE_REGISTER=/data/register.sqlite \
    AREAPROFILE_SOURCE=/source
WORKDIR /app
COPY requirements.txt pyproject.toml ./
RUN pip install --no-cache-dir --disable-pip-version-check uv \
    && uv pip install --system -r requirements.txt
COPY .streamlit/config.toml .streamlit/config.toml
COPY app.py serve.py ./
COPY areaprofile areaprofile
COPY views views
COPY geo geo
COPY data/knowledge data/knowledge
COPY deploy/entrypoint.sh deploy/entrypoint.sh
COPY --from=assets /src/static/vendor static/vendor
# Editable: the package finds geo/, data/knowledge/ and static/ beside itself, in /app.
RUN uv pip install --system --no-deps -e . && python -m compileall -q areaprofile views app.py serve.py \
    && python -m areaprofile.template_cache
RUN useradd --create-home --uid 10001 areaprofile && mkdir -p /data/store && chown -R areaprofile /data
USER areaprofile
VOLUME ["/data"]
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"]
ENTRYPOINT ["bash", "deploy/entrypoint.sh"]
