"""Pagination of the portal's long lists."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """A paginator that never counts more than `cap` rows: SELECT COUNT(*) over a LIMITed subquery.

    A county's list with tens of thousands of rows answers "2000 条以上" instead of counting them all on
    every page; pages beyond the cap (40 pages of 50) are not offered: the clerk filters or searches."""

    cap = 2_000

    def __init__(self, object_list, per_page, *, count_source=None, count_column="pk", **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        # The count needs the filters only: without the list's joins and ordering, and reading a column
        # of the composite index, it is an index-only scan of at most cap + 1 entries.
        self.count_source = count_source if count_source is not None else object_list
        self.count_column = count_column

    @cached_property
    def count(self):
        return self.count_source.order_by().values(self.count_column)[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap
