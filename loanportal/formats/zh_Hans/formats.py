"""Django's zh_Hans formats group no digits (THOUSAND_SEPARATOR ""), so `intcomma` and `floatformat:"2g"`
printed 1234567.00. The figures of our tables are grouped by thousands with a comma, as the bank's and
the finance offices' statements are: 1,234,567.00. Only the grouping filters use this; a plain
{{ value }} stays ungrouped (USE_THOUSAND_SEPARATOR is off), so inputs and exports are unchanged."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
