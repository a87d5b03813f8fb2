# ECS Console's image: the web app, the Celery worker and the local cloud run from it.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=ecsconsole.settings \
    STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The static files, hashed and compressed, in the image rather than in the data volume, so a new
# image serves its own. The key only lets the settings load here; it stays out of the image.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p var
