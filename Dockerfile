# Two stages: build a wheel with its dependencies, then run it as a non-root user. No secrets inside:
# every setting comes from the environment at run time.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY charts ./charts
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
# Chart fonts beyond matplotlib's DejaVu: CJK, and emoji in outline (Agg cannot draw the colour
# bitmaps of Noto Color Emoji, so Symbola it is). No glyph may be missing from a chart.
# Unpinned on purpose: the suite's current packages carry Debian's security fixes.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk fonts-symbola \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 cekura \
 && mkdir -p /data /opt/matplotlib \
 && chown cekura:cekura /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# Build matplotlib's font cache once, into the image, so a read-only root filesystem starts fast.
ENV MPLCONFIGDIR=/opt/matplotlib
RUN python -c "import matplotlib.font_manager"
USER 10001
WORKDIR /home/cekura
# The SQLite default lives on a declared volume, so a redeploy keeps edit requests and digests.
# Several replicas need PostgreSQL instead (DATABASE_URL=postgresql+psycopg://…).
VOLUME ["/data"]
ENV PORT=3000 DATABASE_URL=sqlite:////data/cekura-bot.sqlite PYTHONUNBUFFERED=1
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=2)"]
ENTRYPOINT ["cekura-bot"]
CMD ["serve"]
