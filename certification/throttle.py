"""Rate limits for public verification and worker activation (docs/domain.md: resist enumeration),
counted in the cache (Redis in production), shared by the API and the pages.

Three limits guard a query by name + ID number + certificate number:

- per client address (`VERIFY_RATE_LIMIT`);
- per ID number *and client* (`VERIFY_RATE_LIMIT_PER_ID`): keyed on both, so that a stranger who
  knows someone's ID number cannot lock that person (or anyone else) out by failing from their
  own address. A limit shared by every client cannot let a correct answer through while it
  refuses wrong ones (the refusal itself would then tell right from wrong), so it would have to
  refuse everybody: that is the lock-out this keying avoids. Guessing from many addresses is
  bounded by the next limit and, for activation, by the one-time code's entropy;
- per certificate number across all clients (`VERIFY_RATE_LIMIT_PER_NUMBER`, a few tens a day):
  the name and number printed on a certificate and the public form of the ID number leave too
  many candidates to try within it; past it the form answers "use the QR code" for that number,
  and the QR link (an unguessable code) keeps working.

Each window starts at its first hit and lasts its length (it is not aligned to the clock), and
the window's start is stored, so a refusal states the real remaining wait.
"""

import hashlib
import logging
import math
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.utils.translation import gettext as _

from registry.identity import normalize_document_number

log = logging.getLogger("certification.verification")


def client_ip(request) -> str:
    """The client's address. Behind our own proxy (TRUST_X_FORWARDED_FOR) it is the last
    X-Forwarded-For entry, the one that proxy appended: earlier entries are the client's to forge."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.TRUST_X_FORWARDED_FOR:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def wait_message(seconds: int) -> str:
    """The real remaining wait, "请 N 分钟后再试" (in hours when it is long)."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes > 120:
        return _("查询过于频繁，请 %(n)d 小时后再试。") % {"n": math.ceil(minutes / 60)}
    return _("查询过于频繁，请 %(n)d 分钟后再试。") % {"n": minutes}


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused and how long until it may be tried again."""

    limit: str  # "client", "id", "number" or "person"
    wait_seconds: int

    @property
    def message(self) -> str:
        if self.limit == "number":
            return _("该证书编号今日查验次数已达上限，请使用证书上的二维码查验。")
        return wait_message(self.wait_seconds)


def _keys(key: str) -> tuple[str, str]:
    return f"throttle:{key}:start", f"throttle:{key}:n"


def _remaining(start_key: str, window: int, now: float) -> int:
    start = cache.get(start_key)
    return max(1, math.ceil((start if start is not None else now) + window - now))


def _hit(key: str, limit: int, window: int, on_first_refusal=None) -> int:
    """Count one hit; 0 while within `limit` hits of the window that began with the first of
    them, else the seconds until that window ends. `on_first_refusal` runs once per window, on
    the hit that first goes over (a sweep is recorded once, not once per refused request)."""
    now = time.time()
    start_key, count_key = _keys(key)
    cache.add(start_key, now, window)
    cache.add(count_key, 0, window)
    try:
        count = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.add(count_key, 1, window)
        count = 1
    if count <= limit:
        return 0
    if count == limit + 1 and on_first_refusal is not None:
        on_first_refusal()
    return _remaining(start_key, window, now)


# Several limits counted in one Redis round trip, in order, stopping at the first one exceeded
# (a later limit is then not counted, as with one `_hit` after the other). Per limit: KEYS are
# its window's start and its count; ARGV its limit and window after `now`. Returns the 1-based
# position of the limit exceeded, its window's start and its count, or {0, 0, 0}.
_HITS_LUA = """
local now = ARGV[1]
for i = 1, #KEYS / 2 do
  local start_key, count_key = KEYS[2 * i - 1], KEYS[2 * i]
  local limit, window = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  redis.call('SET', start_key, now, 'NX', 'EX', window)
  local count = redis.call('INCR', count_key)
  if count == 1 then redis.call('EXPIRE', count_key, window) end
  if count > limit then
    return {i, redis.call('GET', start_key) or now, count}
  end
end
return {0, 0, 0}
"""
_hits_script = None


def _redis_backend():
    """Django's RedisCache in use, or None with any other cache backend."""
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def _hits(limits: list[tuple[str, int, int]], on_first_refusal=None) -> tuple[int, int]:
    """Count one hit on each (key, limit, window) in order until one is exceeded: (its index,
    the seconds until its window ends), or (-1, 0) when all allow. One round trip with Redis.
    `on_first_refusal(index)` runs on the hit that first goes over a limit in its window."""
    global _hits_script
    now = time.time()
    backend = _redis_backend()
    if backend is None:
        for index, (key, limit, window) in enumerate(limits):
            callback = (lambda index=index: on_first_refusal(index)) if on_first_refusal else None
            wait = _hit(key, limit, window, callback)
            if wait:
                return index, wait
        return -1, 0
    # One redis-py client per cache backend (Django builds a new one on every call; they share
    # the connection pool, so keeping one changes nothing but the cost).
    client = getattr(backend, "_throttle_client", None)
    if client is None:
        client = backend._throttle_client = backend._cache.get_client(write=True)
    if _hits_script is None:
        _hits_script = client.register_script(_HITS_LUA)
    # make_key, not make_and_validate_key: these keys are ours (ASCII, short), and the check
    # scanned each of the six keys' characters on every look-up.
    keys = [backend.make_key(k) for key, _limit, _window in limits for k in _keys_fast(key)]
    args = [repr(now), *(str(v) for _key, limit, window in limits for v in (limit, window))]
    position, start, count = _hits_script(keys=keys, args=args, client=client)
    if not position:
        return -1, 0
    _key, limit, window = limits[position - 1]
    if count == limit + 1 and on_first_refusal is not None:
        on_first_refusal(position - 1)
    return position - 1, max(1, math.ceil(float(start) + window - now))


def _keys_fast(key: str) -> tuple[str, str]:
    # Their own names: the values are plain strings, never the pickles `_hit` writes.
    return f"throttle1:{key}:start", f"throttle1:{key}:n"


def _over(key: str, limit: int, window: int) -> int:
    """Like `_hit` without counting: for limits that count failures only."""
    now = time.time()
    start_key, count_key = _keys(key)
    return _remaining(start_key, window, now) if (cache.get(count_key) or 0) >= limit else 0


def _digest(kind: str, canonical: str) -> str:
    # The number itself never reaches the cache or the log: only a keyed digest of it.
    return hashlib.sha256(f"{settings.ID_HASH_KEY}:{kind}:{canonical}".encode()).hexdigest()[:24]


def id_digest(id_number: str) -> str:
    """Counted on the normalised number, so "x"/"X", spaces or full-width digits are one number."""
    return _digest("id", normalize_document_number(id_number))


def canonical_certificate_number(raw: object) -> str:
    """NFKC (full-width letters and digits), no spaces, upper case: one key per number."""
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else ""))
    return "".join(text.split()).upper()


def _sweep(request, limit: str, subject: str = ""):
    """The callback that records a VerificationSweep for the regulator's queue."""

    def record() -> None:
        from .models import VerificationSweep

        VerificationSweep.objects.create(
            limit=limit, client=_digest("client", client_ip(request)), subject=subject, path=request.path[:200]
        )

    return record


def verification_check(request, id_number: str | None = None, certificate_number: str | None = None) -> Refusal | None:
    """One check per request (verification or activation); None when allowed. Refusals are
    logged (without the number), and the first refusal of each window is recorded as a
    VerificationSweep for the regulator's work queue."""
    ip = client_ip(request)
    limits = [("client", f"verify:ip:{ip}", "", *settings.VERIFY_RATE_LIMIT)]
    if id_number:
        id_key = id_digest(id_number)
        limits.append(("id", f"verify:id:{id_key}:{ip}", id_key, *settings.VERIFY_RATE_LIMIT_PER_ID))
    if certificate_number:
        number_key = _digest("certificate", canonical_certificate_number(certificate_number))
        limits.append(("number", f"verify:number:{number_key}", number_key, *settings.VERIFY_RATE_LIMIT_PER_NUMBER))

    def first_refusal(index: int) -> None:
        kind, _key, subject, _limit, _window = limits[index]
        _sweep(request, kind, subject)()

    index, wait = _hits([(key, limit, window) for _kind, key, _s, limit, window in limits], first_refusal)
    if index < 0:
        return None
    kind, _key, subject, _limit, _window = limits[index]
    if kind == "client":
        log.warning("verification rate limit hit by client %s", ip)
    elif kind == "id":
        log.warning("verification rate limit hit for one ID number (digest %s) from %s", subject, ip)
    else:
        log.warning("verification rate limit hit for one certificate number (digest %s) from %s", subject, ip)
    return Refusal(kind, wait)


def verification_allowed(request, id_number: str | None = None, certificate_number: str | None = None) -> bool:
    return verification_check(request, id_number, certificate_number) is None


# --- Activation: failures per person (the ID number) and client ---


def _activation_key(request, id_number: str) -> str:
    return f"activate:person:{id_digest(id_number)}:{client_ip(request)}"


def activation_check(request, id_number: str) -> Refusal | None:
    """Refused once this client has failed `ACTIVATION_RATE_LIMIT_PER_PERSON` times for this
    person within the window; another client is not affected (see the module's note)."""
    limit, window = settings.ACTIVATION_RATE_LIMIT_PER_PERSON
    wait = _over(_activation_key(request, id_number), limit, window)
    if wait:
        log.warning(
            "activation attempts exhausted for one person (digest %s) from %s", id_digest(id_number), client_ip(request)
        )
        return Refusal("person", wait)
    return None


def activation_failed(request, id_number: str) -> None:
    limit, window = settings.ACTIVATION_RATE_LIMIT_PER_PERSON
    # The failure that reaches the limit is the one after which activation_check refuses.
    _hit(_activation_key(request, id_number), limit - 1, window, _sweep(request, "person", id_digest(id_number)))


def objection_allowed(request) -> bool:
    """Objections to publicised results (异议), per client: anyone may file, nobody may flood."""
    ip = client_ip(request)
    limit, window = settings.OBJECTION_RATE_LIMIT
    if _hit(f"objection:ip:{ip}", limit, window):
        log.warning("objection rate limit hit by client %s", ip)
        return False
    return True


def report_allowed(request) -> bool:
    """Public reports about an institution (社会监督), per client, like objections."""
    ip = client_ip(request)
    limit, window = settings.REPORT_RATE_LIMIT
    if _hit(f"report:ip:{ip}", limit, window):
        log.warning("report rate limit hit by client %s", ip)
        return False
    return True
