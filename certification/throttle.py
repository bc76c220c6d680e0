"""Rate limits for public verification: per client and per ID number (DOMAIN.md: resist
enumeration), counted in the cache (Redis in production), shared by the API and the page."""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

from registry.identity import normalize_document_number

log = logging.getLogger("certification.verification")


def client_ip(request) -> str:
    """The client's address. Behind our own proxy (TRUST_X_FORWARDED_FOR) it is the last
    X-Forwarded-For entry, the one that proxy appended: earlier entries are the client's to forge."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.TRUST_X_FORWARDED_FOR:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one hit in the current window; False once `limit` is exceeded."""
    bucket = f"throttle:{key}:{int(time.time()) // window}"
    if cache.add(bucket, 1, window + 5):
        return True
    try:
        return cache.incr(bucket) <= limit
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, window + 5)
        return True


def verification_allowed(request, id_number: str | None = None) -> bool:
    """One check per request; logs the refusals so the regulator can see sweeps."""
    ip = client_ip(request)
    limit, window = settings.VERIFY_RATE_LIMIT
    if not _hit(f"verify:ip:{ip}", limit, window):
        log.warning("verification rate limit hit by client %s", ip)
        return False
    if id_number:
        # The ID number itself never reaches the cache or the log: only a digest of it.
        # Counted on the normalised number, so "x"/"X", spaces or full-width digits are one number.
        canonical = normalize_document_number(id_number)
        digest = hashlib.sha256(f"{settings.ID_HASH_KEY}:{canonical}".encode()).hexdigest()[:24]
        per_id_limit, per_id_window = settings.VERIFY_RATE_LIMIT_PER_ID
        if not _hit(f"verify:id:{digest}", per_id_limit, per_id_window):
            log.warning("verification rate limit hit for one ID number (digest %s) from %s", digest, ip)
            return False
    return True


def objection_allowed(request) -> bool:
    """Objections to publicised results (异议), per client: anyone may file, nobody may flood."""
    ip = client_ip(request)
    limit, window = settings.OBJECTION_RATE_LIMIT
    if not _hit(f"objection:ip:{ip}", limit, window):
        log.warning("objection rate limit hit by client %s", ip)
        return False
    return True
