# hub-core with the Databricks and OpenAI-compatible providers. Build: docker build -t hub-core .
# Run:   docker run -p 8000:8000 -e DATABRICKS_HOST=... -e DATABRICKS_TOKEN=... hub-core
# tests/test_container.py builds the Python layer below the same way (the lines marked "python layer").

FROM python:3.12-slim AS build
WORKDIR /src
# python layer: sources
COPY pyproject.toml README.md LICENSE ./
COPY hub_core ./hub_core
COPY plugins/databricks ./plugins/databricks
COPY plugins/openai_compatible ./plugins/openai_compatible
# python layer: install
RUN python -m venv /opt/hub && /opt/hub/bin/pip install --no-cache-dir . ./plugins/databricks ./plugins/openai_compatible

FROM python:3.12-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin hub
COPY --from=build /opt/hub /opt/hub
ENV PATH=/opt/hub/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000"]
