"""One pager for every list a person reads: `page_of(request, rows)` answers one page and the
links to its neighbours, keeping the rest of the query string (search and filters).

A list whose count would cost a scan (a 20,000-candidate roster, a million certificates) passes
`count=` a figure it already has (cached or estimated) or `None`: then the page reads one row more
than it shows to know whether a next page exists, and never counts."""

from dataclasses import dataclass, field
from math import ceil

PAGE_SIZE = 50


@dataclass
class Paging:
    num_pages: int | None  # None: not counted
    count: int | None = None


@dataclass
class Page:
    object_list: list
    number: int
    has_previous: bool
    has_next: bool
    count: int | None
    paginator: Paging
    previous_link: str = ""
    next_link: str = ""
    start_index: int = field(default=0)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def page_number(request, name: str = "page") -> int:
    try:
        return max(1, int(request.GET.get(name, "1")))
    except ValueError:
        return 1


def page_of(request, rows, *, name: str = "page", per_page: int = PAGE_SIZE, count="exact", anchor: str = "") -> Page:
    """Page `request.GET[name]` of `rows` (an ordered queryset or a list).

    `count`: "exact" counts the rows; an int is a figure known elsewhere (cached); None does not
    count. A page past the end shows the last page when the count is known, else an empty page."""
    number = page_number(request, name)
    if count == "exact":
        count = rows.count() if hasattr(rows, "count") and not isinstance(rows, list) else len(rows)
    if count is not None:
        number = min(number, max(1, ceil(count / per_page)))
    start = (number - 1) * per_page
    fetched = list(rows[start : start + per_page + 1])
    page = Page(
        object_list=fetched[:per_page],
        number=number,
        has_previous=number > 1,
        has_next=len(fetched) > per_page,
        count=count,
        paginator=Paging(num_pages=None if count is None else max(1, ceil(count / per_page)), count=count),
        start_index=start,
    )

    def link(n: int) -> str:
        query = request.GET.copy()
        query[name] = n
        return f"?{query.urlencode()}" + (f"#{anchor}" if anchor else "")

    page.previous_link = link(number - 1) if page.has_previous else ""
    page.next_link = link(number + 1) if page.has_next else ""
    return page
