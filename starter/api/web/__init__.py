"""The officers' web view: read-only pages for officers, served by the officers' API under
`/officers/` (starter/api/web/views.py)."""

from starter.api.web.views import router

__all__ = ["router"]
