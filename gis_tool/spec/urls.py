"""Layer paths that are not files: PostgreSQL URLs (checked before anything connects) and
web services."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError

SCHEMES = ("postgresql://", "postgres://")


def is_postgres(path: str | Path) -> bool:
    """A PostgreSQL connection URL rather than a file."""
    return str(path).startswith(SCHEMES)


def check_url(url: str, key: str) -> None:
    """Refuse a URL with a password in it (exit 2), naming the key."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError as exc:
        raise InputError(f"{key}: '{url}' is not a PostgreSQL URL ({exc}); write "
                         "postgresql://user@host:5432/database") from None
    if password is not None:
        raise InputError(f"{key}: the URL holds a password; remove it and give it through "
                         "PGPASSWORD or ~/.pgpass (so that it never reaches run.json or a shell history)")


WEB_SCHEMES = ("http://", "https://", "WFS:")


def is_web(path: str | Path) -> bool:
    """An OGC API Features collection or a WFS rather than a file."""
    return str(path).startswith(WEB_SCHEMES)
