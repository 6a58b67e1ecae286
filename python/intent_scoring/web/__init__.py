"""Local, read-only web dashboard over the marts: `python main.py --mode serve`.

`create_app()` builds the Flask app (pages and a JSON API under /api/); every
request opens its own read-only DuckDB connection, so dbt can rebuild the
warehouse between requests.
"""

from intent_scoring.web.app import create_app, serve

__all__ = ["create_app", "serve"]
