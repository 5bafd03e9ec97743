# The reverse proxy of compose.yaml: Debian's nginx (with the brotli filter) and the one config file
# the tests run (deploy/nginx/areaprofile.conf.template), filled in with the port and the app's address.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx-light libnginx-mod-http-brotli-filter gettext-base \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
    && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
COPY deploy/nginx/areaprofile.conf.template /etc/nginx/templates/areaprofile.conf.template
ENV PROXY_PORT=8080 APP_UPSTREAM=app:8501
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PROXY_PORT}"]
CMD ["sh", "-c", "envsubst '${PROXY_PORT} ${APP_UPSTREAM}' < /etc/nginx/templates/areaprofile.conf.template > /etc/nginx/conf.d/areaprofile.conf && exec nginx -g 'daemon off;'"]
