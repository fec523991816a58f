# syntax=docker/dockerfile:1
# One image for every fanout service; the command picks the service:
#   fanout consume email | fanout consume inventory | fanout consume analytics | fanout monitor
#   | fanout outbox relay (FANOUT_OUTBOX_DATABASE_URL: the order service's database)
#   | fanout dashboard --host 0.0.0.0 (the on-call web page, port 8000)
# (compose.yaml and the ECS task definitions in infra/terraform set it).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the project and its dependencies into a virtualenv without pip ------------
# The image runs the consumer services and the monitor, so it installs exactly those extras (README,
# "Install profiles"); tests/infra/test_wheel.py runs this pip line in a clean virtualenv.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY fanout ./fanout
COPY consumers ./consumers
COPY producer ./producer
COPY monitor ./monitor
# The project itself from the build context (its dependencies are pinned by lower bounds in pyproject.toml).
# hadolint ignore=DL3013
RUN python -m venv --without-pip /opt/fanout \
    && pip --python /opt/fanout/bin/python install --no-cache-dir ".[services,monitor,outbox,dashboard]"

# --- runtime: the virtualenv only, run by an unprivileged user ---------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# Logs are JSON lines by default here (compose and ECS run this image); override with
# FANOUT_CONSUMER_LOG_JSON=false / FANOUT_MONITOR_LOG_JSON=false for a terminal.
ENV PATH=/opt/fanout/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FANOUT_CONSUMER_LOG_JSON=true \
    FANOUT_MONITOR_LOG_JSON=true \
    FANOUT_STATE_DIR=/var/lib/fanout
RUN groupadd --system --gid 10001 fanout \
    && useradd --system --uid 10001 --gid fanout --home-dir /var/lib/fanout --no-create-home \
        --shell /usr/sbin/nologin fanout \
    && install --directory --owner=fanout --group=fanout /var/lib/fanout
COPY --from=build /opt/fanout /opt/fanout
# Services and the monitor keep their SQLite files here (FANOUT_STATE_DIR); mount a volume when the
# root filesystem is read-only.
WORKDIR /var/lib/fanout
USER 10001:10001
# /healthz of a consumer (FANOUT_CONSUMER_HEALTH_PORT, 8080), the monitor (FANOUT_MONITOR_METRICS_PORT, 9102)
# or the outbox relay (FANOUT_OUTBOX_METRICS_PORT, 9103).
EXPOSE 8000 8080 9102 9103
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "fanout.healthcheck"]
CMD ["fanout", "--help"]
