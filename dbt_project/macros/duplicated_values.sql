{#-
    The rows of `relation` (a table, a view or a CTE's name) where `where` holds, grouped by
    `columns`, for every combination that occurs more than once: the combination and its
    count as n_rows. NULLs compare equal, as in GROUP BY.

    Every duplicated combination is among the combinations whose hash occurs twice (equal
    values hash equally, NULLs too), and grouping one 64-bit hash is cheaper than grouping the
    columns (ids of 13 characters over the whole history in a backfill): the columns are
    grouped only for the rows of those hashes.
-#}
{% macro duplicated_values(relation, columns, where='true') -%}
    {%- set columns_csv = columns | join(', ') -%}
    select {{ columns_csv }}, count(*) as n_rows
    from {{ relation }}
    where ({{ where }})
        and hash({{ columns_csv }}) in (
            select hash({{ columns_csv }})
            from {{ relation }}
            where {{ where }}
            group by hash({{ columns_csv }})
            having count(*) > 1
        )
    group by {{ columns_csv }}
    having count(*) > 1
{%- endmacro %}
