# Production image: one image for web, worker and beat (the command differs per service in docker-compose.yml).
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml constraints.txt README.md ./
COPY config ./config
COPY core ./core
COPY governance ./governance
COPY audits ./audits
COPY discovery ./discovery
COPY notifications ./notifications
COPY alerts ./alerts
COPY evidence ./evidence
COPY sso ./sso
COPY manage.py ./
RUN pip install --no-cache-dir -c constraints.txt . \
    && DEBUG=1 DATA_DIR=/tmp/build python manage.py collectstatic --no-input \
    && python -m compileall -q /app \
    && useradd --system --uid 1000 --home /app aigov && mkdir -p /data && chown aigov /data
USER aigov
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
