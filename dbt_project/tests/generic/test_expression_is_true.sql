{#-
    A boolean SQL expression over the model's columns holds for every row. Returns the rows
    where it is false or NULL.
-#}
{% test expression_is_true(model, expression) %}

    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)

{% endtest %}
