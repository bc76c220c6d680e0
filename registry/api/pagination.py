"""The API's pagination: page numbers as before, but a count that never scans a million rows.

Up to `EXACT_COUNT_LIMIT` rows the count is exact (a count over at most that many index
entries); past it, PostgreSQL's own row estimate for the query is answered, and the page says so
with `count_is_estimate: true`. Pages stay numbered and stable (every list has a total order)."""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

EXACT_COUNT_LIMIT = 10_000


def estimated_count(queryset) -> int | None:
    """The planner's row estimate for `queryset` (PostgreSQL), or None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def bounded_count(queryset) -> tuple[int, bool]:
    """(count, estimated): exact up to `EXACT_COUNT_LIMIT` rows (a count that stops there), past it
    the planner's estimate (never below the rows already counted). One rule for every figure a
    person reads of a list that may hold a million rows: the API's pages and the pages' totals."""
    exact = queryset.order_by()[: EXACT_COUNT_LIMIT + 1].count()
    if exact <= EXACT_COUNT_LIMIT:
        return exact, False
    estimate = estimated_count(queryset)
    if estimate is None:
        return queryset.count(), False
    return max(estimate, exact), True


class EstimatingPaginator(Paginator):
    estimated = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not hasattr(rows, "query"):
            return len(rows)
        count, self.estimated = bounded_count(rows)
        return count


class RegistryPagination(PageNumberPagination):
    django_paginator_class = EstimatingPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_is_estimate"] = self.page.paginator.estimated
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_is_estimate"] = {
            "type": "boolean",
            "description": f"true when the list has more than {EXACT_COUNT_LIMIT} rows and `count` is the "
            "database's estimate",
        }
        return schema
