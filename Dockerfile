# Two stages: build a wheel with its dependencies, then run it as a non-root user. No secrets inside:
# every setting comes from the environment at run time.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY charts ./charts
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
# Chart fonts beyond matplotlib's DejaVu: CJK, and emoji in outline (Agg cannot draw the colour
# bitmaps of Noto Color Emoji, so Symbola it is). No glyph may be missing from a chart.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk fonts-symbola \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 cekura
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER cekura
WORKDIR /home/cekura
ENV PORT=3000 MPLCONFIGDIR=/home/cekura/.matplotlib PYTHONUNBUFFERED=1
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=2)"
CMD ["cekura-bot", "serve"]
