# The conduct image: the worker (default command), the web app (`conduct web`), the officers' API
# (`conduct api`) and the codec endpoint (`conduct codec`).
# Built by docker-compose.yml; on its own:  docker build -t conduct .
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md worker.py ./
COPY conduct ./conduct
COPY workflows ./workflows
COPY activities ./activities
COPY starter ./starter
# Non-editable, no test extras: the package data (migrations, web templates and static files)
# is declared in pyproject.toml.
RUN pip install .

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    CONDUCT_TEMPLATES_DIR=/app/templates \
    CONDUCT_DATA_DIR=/var/lib/conduct

RUN groupadd --system --gid 10001 conduct \
    && useradd --system --uid 10001 --gid conduct --home-dir /app --no-create-home --shell /usr/sbin/nologin conduct \
    && mkdir -p /app /var/lib/conduct /var/lib/conduct-web \
    && chown conduct:conduct /var/lib/conduct /var/lib/conduct-web \
    && chmod 0700 /var/lib/conduct /var/lib/conduct-web

COPY --from=build /opt/venv /opt/venv
# The letters (templates/letters/): outside the Python packages, so they are copied, and
# CONDUCT_TEMPLATES_DIR points at them.
COPY templates /app/templates

WORKDIR /app
USER conduct
# /var/lib/conduct-web: where docker-compose.yml mounts the web app's data (its evidence) into the
# worker and the API; made here so that a volume first mounted there is the conduct user's.
VOLUME ["/var/lib/conduct"]
EXPOSE 8000 8081 8082
CMD ["conduct", "worker"]
