FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-zenhei curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_DEBUG=0 python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 registry && chown -R registry /app
USER registry
# The image runs as production: it refuses to start without real keys (config/settings.py), even
# when it is started without docker-compose.
ENV DJANGO_ENV=production
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]
