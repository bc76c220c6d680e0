"""Server-rendered pages (zh-hans first, English switchable). Each view fetches through the
caller-scoped selectors and calls one service."""
