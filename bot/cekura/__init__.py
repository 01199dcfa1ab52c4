"""The Cekura dashboards API client: `CekuraClient` (client.py) over one call (calls.py), its retry
policy (retry.py), defensive reading of answers (body.py) and pagination (pages.py).

    from bot.cekura import CekuraClient
"""

from bot.cekura.client import CekuraClient

__all__ = ["CekuraClient"]
