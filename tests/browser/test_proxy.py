"""The hosting recipe's pieces, without Docker (no engine on these machines): the container's own
start script (deploy/entrypoint.sh) runs the real app, Debian's nginx runs THE proxy config file
compose.yaml uses (deploy/nginx/areaprofile.conf.template, filled in only with the port and the
app's address), and Chromium uses the dashboard through it: a deep link draws its map over the
proxied WebSocket without a failed request, JavaScript arrives compressed, the health check
answers, and XSRF protection is on. compose.yaml and the Dockerfiles are checked for what the
recipe promises (non-root, health check, bytecode, /data volume, the same proxy file)."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from areaprofile import nodelay
from tests.browser.conftest import ROOT, StreamlitServer, _free_port

TEMPLATE = ROOT / "deploy" / "nginx" / "areaprofile.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")


def _wait_for(url: str, timeout_s: float = 60, process=None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout_s:.0f} s")


@pytest.fixture(scope="module")
def app(built_store, tmp_path_factory):
    """The app started the way the container starts it (deploy/entrypoint.sh, serve.py)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("entrypoint") / "app.log"
    env = {**os.environ, "AREAPROFILE_STORE": str(built_store), "AREAPROFILE_SOURCE": "/nonexistent",
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    with open(log, "wb") as out:
        process = subprocess.Popen(["bash", "deploy/entrypoint.sh", "--server.address", "127.0.0.1",
                                    "--server.port", str(port), "--server.fileWatcherType", "none"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = StreamlitServer(ROOT / "serve.py", port, process, log)
    try:
        _wait_for(f"{server.url}/_stcore/health", process=process)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def proxy(app, tmp_path_factory):
    """Debian's nginx on a free port with the compose proxy's own config file."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail("nginx not found: run scripts/setup.sh --test (Debian nginx-light).")
    work = tmp_path_factory.mktemp("nginx")
    port = _free_port()
    site = TEMPLATE.read_text().replace("${PROXY_PORT}", f"127.0.0.1:{port}").replace(
        "${APP_UPSTREAM}", f"127.0.0.1:{app.port}")
    assert "${" not in site
    (work / "areaprofile.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the temp folders below
    (work / "nginx.conf").write_text(
        f"{user}daemon off;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        f"load_module {BROTLI_MODULE};\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log {work}/access.log;\n"
        + "".join(f"  {kind}_temp_path {work}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"  include {work}/areaprofile.conf;\n}}\n")
    process = subprocess.Popen([NGINX, "-p", str(work), "-c", str(work / "nginx.conf")], stdout=subprocess.DEVNULL,
                               stderr=open(work / "stderr.log", "wb"), start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(url: str, encoding: str | None) -> tuple[bytes, dict]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), {k.lower(): v for k, v in response.headers.items()}


def test_javascript_is_compressed_and_health_answers(app, proxy):
    body, headers = _get(f"{proxy}/_stcore/health", None)
    assert body == b"ok"
    assert nodelay.NOT_FOUND not in app.log_path.read_text(errors="replace")  # serve.py found Streamlit's port
    page, _ = _get(f"{proxy}/map", None)
    script = re.search(rb'src="\./(static/js/index\.[^"]+\.js)"', page).group(1).decode()
    direct, direct_headers = _get(f"{app.url}/{script}", "gzip")
    assert "content-encoding" not in direct_headers, "Streamlit itself sends its JavaScript uncompressed"
    zipped, zipped_headers = _get(f"{proxy}/{script}", "gzip, deflate")
    assert zipped_headers.get("content-encoding") == "gzip"
    assert gzip.decompress(zipped) == direct
    assert len(zipped) < len(direct) / 2.5, f"gzip: {len(direct):,} -> {len(zipped):,} bytes"
    brotli, brotli_headers = _get(f"{proxy}/{script}", "br")
    assert brotli_headers.get("content-encoding") == "br"
    assert len(brotli) < len(zipped), f"brotli {len(brotli):,} bytes vs gzip {len(zipped):,}"


def test_dashboard_works_through_the_proxy(proxy, browser):
    """A deep link through nginx: the map draws (so the WebSocket was passed through), nothing
    fails on the way (no 404s: serve.py tells the page where the server is), every script came
    compressed, and Streamlit's XSRF cookie is set."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    responses, sockets = [], []
    context.on("response", lambda r: responses.append(r))
    page = context.new_page()
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        page.goto(f"{proxy}/map?area=Keynsham&period=last-12-months&types=all", wait_until="domcontentloaded")
        page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", state="attached", timeout=60_000)
        frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']")
        frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
        assert page.locator("h1").first.inner_text() == "Map: Keynsham"
        failed = [f"{r.status} {r.url}" for r in responses if r.status >= 400]
        assert failed == []
        assert sockets and all(url.startswith(proxy.replace("http", "ws") + "/_stcore/stream") for url in sockets)
        big_scripts = [r for r in responses if r.request.resource_type == "script" and r.url.startswith(proxy)]
        assert big_scripts, "no script came through the proxy"
        uncompressed = [r.url for r in big_scripts if r.headers.get("content-encoding") not in ("gzip", "br")
                        and len(r.body()) > 1024]
        assert uncompressed == [], f"{len(uncompressed)} of {len(big_scripts)} scripts uncompressed: {uncompressed[:3]}"
        assert any(c["name"] == "_streamlit_xsrf" for c in context.cookies()), "XSRF protection is off"
        page.screenshot(path=str(ROOT / "test-output" / "screenshots" / "proxy-map-keynsham.png"))
    finally:
        context.close()


def test_compose_and_dockerfiles_keep_their_promises():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    app, proxy = compose["services"]["app"], compose["services"]["proxy"]
    assert app["environment"]["AREAPROFILE_STORE"].startswith("/data/")
    assert app["environment"]["AREAPROFILE_REGISTER"].startswith("/data/")
    assert any(v.endswith(":/data") for v in app["volumes"])
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"
    proxy_file = (ROOT / proxy["build"]["dockerfile"]).read_text()
    assert f"COPY {TEMPLATE.relative_to(ROOT)} " in proxy_file, "the proxy image must use the tested config file"
    assert "envsubst '${PROXY_PORT} ${APP_UPSTREAM}'" in proxy_file
    assert {"PROXY_PORT", "APP_UPSTREAM"} <= set(proxy["environment"])

    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in re.sub(r"\\\n", " ", dockerfile).splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    final = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM"):]
    ops = {op: arg for op, arg in final}
    assert re.match(r"python:3\.\d+-slim", ops["FROM"])
    assert ops["USER"] not in ("root", "0")
    assert "/_stcore/health" in ops["HEALTHCHECK"]
    assert "UV_COMPILE_BYTECODE=1" in ops["ENV"] and "AREAPROFILE_STORE=/data/" in ops["ENV"]
    assert "/data" in ops["VOLUME"]
    assert ops["ENTRYPOINT"] == '["bash", "deploy/entrypoint.sh"]'
    # folium's templates are compiled into the image while it is built (template_cache), before
    # the non-root user, who can read the folder but not write it.
    fills = [i for i, (op, arg) in enumerate(final) if op == "RUN" and "-m areaprofile.template_cache" in arg]
    assert fills and fills[0] < [op for op, _ in final].index("USER")
    for op, arg in final:
        if op == "COPY" and not arg.startswith("--from"):
            for source in arg.split()[:-1]:
                assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"
